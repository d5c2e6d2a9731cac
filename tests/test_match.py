"""Moduli, fingerprints and matching, with the real openssl as referee."""
from __future__ import annotations

import hashlib
import importlib
import json
import re

import pytest

import csrlearn as cl
from conftest import KEY_TYPES, openssl_key_csr_cert, run_openssl


@pytest.fixture(scope="module", params=KEY_TYPES)
def trio(request, tmp_path_factory):
    """KEY, CSR and self-signed certificate made by openssl alone, per key type."""
    return request.param, openssl_key_csr_cert(tmp_path_factory.mktemp(request.param), request.param)


@pytest.mark.parametrize("tool,part", [("rsa", "key"), ("req", "csr"), ("x509", "crt")])
def test_modulus_line_and_md5_equal_openssl(tmp_path, tool, part):
    """openssl_modulus_line and modulus_md5 print exactly what openssl -modulus and its md5 pipe print."""
    files = openssl_key_csr_cert(tmp_path, "rsa")
    line = run_openssl(tool, "-in", str(files[part]), "-noout", "-modulus").stdout.decode()
    md5 = run_openssl("md5", input=line.encode()).stdout.decode().split("= ")[1].strip()
    item = cl.load_one(files[part])
    assert cl.openssl_modulus_line(item) + "\n" == line
    assert cl.modulus_md5(item) == md5
    assert cl.modulus(item) == int(line.strip().split("=")[1], 16)


def test_fingerprint_equals_openssl_spki_digest(trio):
    """fingerprint() of key, CSR and certificate equals `openssl pkey -pubout -outform DER | openssl dgst -sha256`."""
    kind, files = trio
    der = run_openssl("pkey", "-in", str(files["key"]), "-pubout", "-outform", "DER").stdout
    expected = run_openssl("dgst", "-sha256", input=der).stdout.decode().split("= ")[1].strip()
    assert expected == hashlib.sha256(der).hexdigest()
    for part in ("key", "csr", "crt"):
        assert cl.fingerprint(cl.load_one(files[part])) == expected


def test_subject_equals_openssl(trio):
    """describe() reads the same subject openssl prints in RFC 2253 form."""
    kind, files = trio
    out = run_openssl("req", "-in", str(files["csr"]), "-noout", "-subject", "-nameopt", "RFC2253").stdout.decode()
    assert cl.describe(cl.load_one(files["csr"])).subject == out.strip().removeprefix("subject=")


@pytest.mark.parametrize("kind", ["ec", "ed25519"])
def test_modulus_refused_for_non_rsa(tmp_path, kind):
    """Non-RSA keys have no modulus: a clear UnsupportedKeyError, not openssl's junk line."""
    files = openssl_key_csr_cert(tmp_path, kind)
    with pytest.raises(cl.UnsupportedKeyError, match="only RSA keys have a modulus.*fingerprint"):
        cl.modulus(cl.load_one(files["crt"]))


def test_classic_md5_pipe_wrongly_matches_two_ec_certificates(tmp_path):
    """openssl's md5 pipe gives two unrelated EC certificates the same digest; csrlearn says they differ, and why."""
    a = openssl_key_csr_cert(tmp_path, "ec", "a")
    b = openssl_key_csr_cert(tmp_path, "ec", "b")
    lines = [run_openssl("x509", "-in", str(f["crt"]), "-noout", "-modulus").stdout for f in (a, b)]
    assert lines[0] == lines[1] == b"Modulus=No modulus for this public key type\n"  # the trap, as measured
    report = cl.match([a["crt"], b["crt"]])
    assert report.verdict == "mismatch"
    assert any("would wrongly call this a match" in x for x in report.explanations)


def test_trio_matches(trio):
    """A key, its CSR and its certificate form one group: verdict match."""
    kind, files = trio
    report = cl.match([files["key"], files["csr"], files["crt"]])
    assert report.verdict == "match" and len(report.groups) == 1 and len(report.entries) == 3


def test_renewal_with_new_key_is_explained(tmp_path):
    """A certificate issued for another key is a mismatch with a plain-language reason."""
    old = openssl_key_csr_cert(tmp_path, "rsa", "old")
    new = openssl_key_csr_cert(tmp_path, "rsa", "new")
    report = cl.match([old["key"], new["crt"]])
    assert report.verdict == "mismatch"
    (why,) = report.explanations
    assert "old.key (private key) and" in why and "new.crt (certificate)" in why
    assert "renewed with a new key" in why and "modulus md5" in why


def test_rsa_key_vs_ec_certificate(tmp_path):
    """Different algorithms are named in the explanation."""
    r = openssl_key_csr_cert(tmp_path, "rsa", "r")
    e = openssl_key_csr_cert(tmp_path, "ec", "e")
    (why,) = cl.match([r["key"], e["crt"]]).explanations
    assert "RSA 2048" in why and "EC P-256" in why and "can never belong together" in why


def test_csr_from_another_key(tmp_path):
    """A CSR made from a different key is explained as such."""
    a = openssl_key_csr_cert(tmp_path, "ec", "a")
    b = openssl_key_csr_cert(tmp_path, "ec", "b")
    (why,) = cl.match([a["key"], b["csr"]]).explanations
    assert "the CSR was made from another key" in why


def test_same_key_different_formats_is_a_match(tmp_path):
    """The same key as PKCS#1, PKCS#8 and DER is still one group (with a note), not a mismatch."""
    f = openssl_key_csr_cert(tmp_path, "rsa")
    run_openssl("rsa", "-in", str(f["key"]), "-traditional", "-out", str(tmp_path / "pkcs1.key"))
    run_openssl("pkey", "-in", str(f["key"]), "-outform", "DER", "-out", str(tmp_path / "key.der"))
    report = cl.match([f["key"], tmp_path / "pkcs1.key", tmp_path / "key.der", f["crt"]])
    assert report.verdict == "match"
    assert any("same key" in n and "still a match" in n for n in report.notes)


def test_chain_in_wrong_order_is_explained(tmp_path):
    """A full chain with the intermediate first does not match the key, and the report says to reorder it."""
    ca = cl.TrainingCA()
    key = cl.generate_key("ec")
    cert = ca.issue(cl.build_csr(key, None, ["www.example.com"]))
    cl.save_key(key, tmp_path / "site.key")
    leaf, inter, _ = ca.fullchain(cert).split(b"-----END CERTIFICATE-----\n")
    end = b"-----END CERTIFICATE-----\n"
    (tmp_path / "chain.pem").write_bytes(inter + end + leaf + end)
    report = cl.match([tmp_path / "site.key", tmp_path / "chain.pem"])
    assert report.verdict == "mismatch"
    assert any("wrong order" in x and "#1" in x and "starts with a CA certificate" in x for x in report.explanations)
    (tmp_path / "good.pem").write_bytes(ca.fullchain(cert))
    assert cl.match([tmp_path / "site.key", tmp_path / "good.pem"]).verdict == "match"


def test_same_name_different_key_is_explained_from_files(tmp_path):
    """Two certificates for one name but different keys, read from a folder, are called a renewal with a new key."""
    ca = cl.TrainingCA()
    for n in (1, 2):
        key = cl.generate_key("ec")
        cl.save(ca.issue(cl.build_csr(key, cl.Subject(common_name="www.example.com"), ["www.example.com"])),
                tmp_path / f"www-{n}.crt")
    (why,) = cl.match([tmp_path]).explanations
    assert "same name, different keys: one of them was renewed with a new key" in why


def test_certificate_and_csr_of_one_name_from_files(tmp_path):
    """A CSR and a certificate for the same name but another key: 'same name, different key — a renewal?'."""
    ca = cl.TrainingCA()
    subject = cl.Subject(common_name="shop.example.com")
    old, new = cl.generate_key("rsa"), cl.generate_key("rsa")
    cl.save(ca.issue(cl.build_csr(old, subject, ["shop.example.com"])), tmp_path / "shop.crt")
    cl.save(cl.build_csr(new, subject, ["shop.example.com"]), tmp_path / "shop.csr")
    (why,) = cl.match([tmp_path / "shop.crt", tmp_path / "shop.csr"]).explanations
    assert "not issued from this CSR: same name, different key" in why
    other = cl.build_csr(new, cl.Subject(common_name="other.example.com"), ["other.example.com"])
    cl.save(other, tmp_path / "other.csr")
    (why,) = cl.match([tmp_path / "shop.crt", tmp_path / "other.csr"]).explanations
    assert "not issued from this CSR" in why and "same name" not in why


def test_details_read_again_only_for_the_items_explained(tmp_path, monkeypatch):
    """A folder is read once; only the items an explanation compares by name are read a second time."""
    import csrlearn.files as files
    ca = cl.TrainingCA()
    for n in range(3):
        key = cl.generate_key("ec")
        cl.save(ca.issue(cl.build_csr(key, None, [f"h{n}.example.com"])), tmp_path / f"h{n}.crt")
    reads = []
    real = files.read_file
    monkeypatch.setattr(files, "read_file", lambda p, **kw: reads.append(str(p)) or real(p, **kw))
    report = cl.match([tmp_path])
    assert len(report.explanations) == 3 and len(reads) == 3 + 3  # each file once, each of the 3 leads again
    reads.clear()
    for n in range(3, 10):  # more than six keys: no pairwise explanations, no second reads
        cl.save(ca.issue(cl.build_csr(cl.generate_key("ec"), None, [f"h{n}.example.com"])), tmp_path / f"h{n}.crt")
    cl.match([tmp_path])
    assert len(reads) == 10


def test_file_changed_before_the_second_look_still_explains(tmp_path, monkeypatch):
    """If a file changes between the read and the second look, the explanation is given without names."""
    match_module = importlib.import_module("csrlearn.match")  # the package's `match` attribute is the function
    ca = cl.TrainingCA()
    subject = cl.Subject(common_name="www.example.com")
    for n in (1, 2):
        cert = ca.issue(cl.build_csr(cl.generate_key("ec"), subject, ["www.example.com"]))
        cl.save(cert, tmp_path / f"www-{n}.crt")
    real = match_module._detailed

    def changed(entry, passphrase):
        (tmp_path / "www-1.crt").write_bytes(b"not a certificate any more")
        return real(entry, passphrase)
    monkeypatch.setattr(match_module, "_detailed", changed)
    (why,) = cl.match([tmp_path]).explanations
    assert "two certificates for different keys" in why


def test_match_objects_and_names():
    """match() accepts cryptography objects or a name->object mapping, as notebooks use it."""
    key = cl.generate_key("ed25519")
    csr = cl.build_csr(key, None, ["a.example"])
    assert cl.match([key, csr]).verdict == "match"
    report = cl.match({"server.key": key, "other.csr": cl.build_csr(cl.generate_key("ed25519"), None, ["a.example"])})
    assert report.verdict == "mismatch" and "server.key" in report.explanations[0]


def test_directory_skips_non_crypto_files_but_reports_errors(tmp_path):
    """In a directory, text files are skipped; a corrupted PEM is an error; the verdict says error."""
    f = openssl_key_csr_cert(tmp_path, "ec")
    (tmp_path / "README.txt").write_text("notes")
    report = cl.match([tmp_path])
    assert report.verdict == "match"
    assert [s[0] for s in report.skipped] == [str(tmp_path / "README.txt")]
    (tmp_path / "broken.crt").write_bytes(f["crt"].read_bytes()[:300] + b"\n-----END CERTIFICATE-----\n")
    report = cl.match([tmp_path])
    assert report.verdict == "error" and report.errors[0][0].endswith("broken.crt")


def test_thousand_mixed_files_grouped_correctly(tmp_path):
    """A directory of 1,000 mixed keys, CSRs and certificates is grouped by key pair in one call."""
    ca = cl.TrainingCA()
    expected = {}
    kinds = ["rsa"] * 10 + ["ec"] * 200 + ["ed25519"] * 40
    for n, kind in enumerate(kinds):  # 250 sets x (key, csr, cert, fullchain) = 1,000 files
        key = cl.generate_key(kind)
        csr = cl.build_csr(key, None, [f"h{n}.example.com"])
        d = tmp_path / f"site{n % 7}"
        d.mkdir(exist_ok=True)
        cl.save_key(key, d / f"{n}.key")
        cl.save(csr, d / f"{n}.csr", der=n % 2 == 0)
        cert = ca.issue(csr)
        cl.save(cert, d / f"{n}.crt")
        cl.save(ca.fullchain(cert), d / f"{n}-fullchain.pem")
        expected[cl.fingerprint(key)] = {str(d / f"{n}{s}") for s in (".key", ".csr", ".crt", "-fullchain.pem")}
    report = cl.match([tmp_path])
    assert report.verdict == "mismatch" and not report.errors and not report.skipped
    got = {g.spki_sha256: {e.file for e in g.items} for g in report.groups}
    assert got == expected
    assert len(report.chain) == 250  # the intermediates of the full-chain files, listed, not matched


# ---------------------------------------------------------------------------------------------- describe

def test_describe_csr_fields():
    """describe() of a CSR lists subject, SANs, key, signature validity and JSON per DESIGN.md."""
    key = cl.generate_key("ec")
    csr = cl.build_csr(key, "/C=DE/O=Acme/CN=www.example.com", ["www.example.com", "198.51.100.1"])
    info = cl.describe(csr)
    d = json.loads(json.dumps(info.to_dict()))
    assert d["kind"] == "csr" and d["signature_valid"] is True
    assert d["subject"] == "CN=www.example.com,O=Acme,C=DE"
    assert d["sans"] == [{"type": "DNS", "value": "www.example.com"}, {"type": "IP", "value": "198.51.100.1"}]
    assert d["key"] == {"algorithm": "EC", "bits": 256, "curve": "P-256"}
    assert d["signature_algorithm"] == "ecdsa-with-SHA256"
    assert "www.example.com" in str(info) and "<table" in info._repr_html_()


def test_describe_tampered_csr_signature_invalid():
    """Flipping one byte of the signed part makes signature_valid False, and it still decodes."""
    from cryptography.hazmat.primitives import serialization
    csr = cl.build_csr(cl.generate_key("rsa"), "/CN=aaaa.example.com")
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[der.index(b"aaaa")] = ord("b")
    info = cl.describe(cl.load_one(bytes(der)))
    assert info.signature_valid is False and "baaa.example.com" in info.subject
    assert "INVALID" in str(info)


def test_describe_certificate_and_key():
    """A certificate shows issuer, validity and CA flag; a key shows type and fingerprint only."""
    ca = cl.TrainingCA()
    key = cl.generate_key("rsa")
    cert = ca.issue(cl.build_csr(key, "/CN=x.example.com", ["x.example.com"]), days=30)
    ci = cl.describe(cert)
    assert ci.kind == "certificate" and not ci.is_ca and "Intermediate" in ci.issuer
    assert ci.not_after.endswith("Z") and ci.sans == ({"type": "DNS", "value": "x.example.com"},)
    assert cl.describe(ca.intermediate).is_ca
    ki = cl.describe(key)
    assert ki.kind == "private_key" and ki.spki_sha256 == cl.fingerprint(cert)
    assert "PRIVATE" not in str(ki) + ki._repr_html_() + json.dumps(ki.to_dict())


def test_training_ca_certificate_verifies_with_openssl(tmp_path):
    """openssl verifies a training-CA certificate against the CA's chain, and keeps the CSR's SANs."""
    from cryptography.hazmat.primitives import serialization
    ca = cl.TrainingCA()
    cert = ca.issue(cl.build_csr(cl.generate_key("ec"), None, ["www.example.com", "10.0.0.1"]))
    (tmp_path / "root.pem").write_bytes(ca.root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "int.pem").write_bytes(ca.intermediate.public_bytes(serialization.Encoding.PEM))
    cl.save(cert, tmp_path / "leaf.pem")
    out = run_openssl("verify", "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "int.pem"),
                      str(tmp_path / "leaf.pem")).stdout.decode()
    assert out.strip().endswith(": OK")
    text = run_openssl("x509", "-in", str(tmp_path / "leaf.pem"), "-noout", "-ext", "subjectAltName").stdout.decode()
    assert "DNS:www.example.com, IP Address:10.0.0.1" in text


def test_training_ca_refuses_tampered_csr():
    """The CA checks the CSR's self-signature first, as real CAs do."""
    from cryptography.hazmat.primitives import serialization
    csr = cl.build_csr(cl.generate_key("ec"), "/CN=aaaa.example.com")
    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[der.index(b"aaaa")] = ord("z")
    with pytest.raises(cl.InputError, match="signature does not verify"):
        cl.TrainingCA().issue(cl.load_one(bytes(der)))


def test_chain_certificates_are_listed_by_subject(tmp_path):
    """The text report lists every chain certificate with its subject, the same intermediate in many files too."""
    ca = cl.TrainingCA()
    for n in range(3):
        key = cl.generate_key("ec")
        cl.save_key(key, tmp_path / f"s{n}.key")
        (tmp_path / f"s{n}.pem").write_bytes(ca.fullchain(ca.issue(cl.build_csr(key, None, [f"s{n}.example.com"]))))
    report = cl.match([tmp_path])
    intermediate = cl.load(tmp_path / "s0.pem")[1].obj
    assert [(e.file, e.index, e.is_ca) for e in report.chain] == [(str(tmp_path / f"s{n}.pem"), 1, True) for n in range(3)]
    lines = [x for x in str(report).splitlines() if x.startswith("chain: ")]
    assert lines == [f"chain: {tmp_path}/s{n}.pem#1  certificate {intermediate.subject.rfc4514_string()}" for n in range(3)]


def test_damaged_chain_certificate_is_an_error_not_a_crash(tmp_path):
    """A full chain whose intermediate has a damaged subject: the leaf is still matched, the file reported as an error."""
    from pathlib import Path
    damaged = (Path(__file__).parent / "fuzz_corpus" / "cert-subject-damaged.pem").read_bytes()
    key = cl.generate_key("ec")
    cl.save_key(key, tmp_path / "site.key")
    ca = cl.TrainingCA()
    leaf = ca.issue(cl.build_csr(key, None, ["www.example.com"]))
    (tmp_path / "chain.pem").write_bytes(ca.fullchain(leaf).split(b"-----END CERTIFICATE-----\n")[0]
                                         + b"-----END CERTIFICATE-----\n" + damaged)
    report = cl.match([tmp_path / "site.key", tmp_path / "chain.pem"])
    assert report.verdict == "error" and len(report.groups) == 1 and len(report.entries) == 2
    (where, why), = report.errors
    assert where == str(tmp_path / "chain.pem") and re.search(r"chain\.pem#\d: the chain certificate is corrupted", why)
    with pytest.raises(cl.InputError, match="corrupted"):
        cl.load(tmp_path / "chain.pem")  # load itself checks every field, as before
