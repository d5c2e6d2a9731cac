"""Proof of possession: a fresh challenge signed with the key, verified with the certificate's or CSR's key."""
from __future__ import annotations

import json

import pytest

import csrlearn as cl
from csrlearn.cli import main
from conftest import KEY_TYPES, openssl_key_csr_cert, run_openssl


@pytest.fixture(scope="module")
def kits(tmp_path_factory):
    """Two unrelated key/CSR/certificate trios per key type, made by openssl alone."""
    out = {}
    for kind in KEY_TYPES:
        tmp = tmp_path_factory.mktemp(kind)
        out[kind] = (openssl_key_csr_cert(tmp, kind, "a"), openssl_key_csr_cert(tmp, kind, "b"))
    return out


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("kind", KEY_TYPES)
@pytest.mark.parametrize("part", ["crt", "csr"])
def test_matching_key_proves_possession(kits, kind, part):
    """A key proves possession of its own certificate and CSR, for every key type."""
    a, _ = kits[kind]
    proof = cl.prove(a["key"], a[part])
    assert proof.ok and bool(proof)
    assert proof.key_spki_sha256 == proof.other_spki_sha256 == cl.fingerprint(cl.load_one(a[part]))
    assert "belongs to" in proof.reason
    assert proof.scheme == {"rsa": "RSA-PSS SHA-256", "ec": "ECDSA SHA-256", "ed25519": "Ed25519"}[kind]


@pytest.mark.parametrize("kind", KEY_TYPES)
@pytest.mark.parametrize("part", ["crt", "csr"])
def test_other_key_of_the_same_type_does_not_prove(kits, kind, part):
    """Another key of the same type signs, but the signature does not verify: not proven, and the reason says so."""
    a, b = kits[kind]
    proof = cl.prove(b["key"], a[part])
    assert not proof.ok and not bool(proof)
    assert proof.key_spki_sha256 != proof.other_spki_sha256
    assert "does not verify" in proof.reason and "different keys" in proof.reason
    assert proof.challenge_sha256  # a challenge was signed and checked, not skipped


def test_key_of_another_type_is_refused_with_the_types_named(kits):
    """An EC key against an RSA certificate cannot be a pair: the reason names both key types."""
    proof = cl.prove(kits["ec"][0]["key"], kits["rsa"][0]["crt"])
    assert not proof.ok
    assert "EC P-256" in proof.reason and "RSA 2048" in proof.reason and "cannot be a pair" in proof.reason


@pytest.mark.parametrize("kind", KEY_TYPES)
def test_verdict_agrees_with_openssl_sign_and_verify(kits, kind, tmp_path):
    """openssl, signing with the key and verifying with the certificate's public key, agrees with prove()."""
    a, b = kits[kind]
    challenge = tmp_path / "challenge.bin"
    challenge.write_bytes(b"a challenge from the test" * 2)
    for key, crt in ((a["key"], a["crt"]), (b["key"], a["crt"])):
        pub = tmp_path / "pub.pem"
        pub.write_bytes(run_openssl("x509", "-in", str(crt), "-noout", "-pubkey").stdout)
        sig = tmp_path / "sig.bin"
        if kind == "ed25519":  # openssl dgst has no Ed25519: pkeyutl signs the raw message
            run_openssl("pkeyutl", "-sign", "-rawin", "-inkey", str(key), "-in", str(challenge), "-out", str(sig))
            verify = run_openssl("pkeyutl", "-verify", "-rawin", "-pubin", "-inkey", str(pub), "-in", str(challenge),
                                 "-sigfile", str(sig), check=False)
        else:
            run_openssl("dgst", "-sha256", "-sign", str(key), "-out", str(sig), str(challenge))
            verify = run_openssl("dgst", "-sha256", "-verify", str(pub), "-signature", str(sig), str(challenge),
                                 check=False)
        assert (verify.returncode == 0) == cl.prove(key, crt).ok


def test_every_proof_signs_a_new_challenge(kits):
    """Two proofs of the same pair sign different random challenges (nothing to replay)."""
    a, _ = kits["ec"]
    assert cl.prove(a["key"], a["crt"]).challenge_sha256 != cl.prove(a["key"], a["crt"]).challenge_sha256


def test_rsa_pkcs1v15_padding(kits):
    """RSA can prove with PKCS#1 v1.5 as well as PSS; an unknown padding is a clear error."""
    a, b = kits["rsa"]
    assert cl.prove(a["key"], a["crt"], rsa_padding="pkcs1v15").scheme == "RSA PKCS#1 v1.5 SHA-256"
    assert not cl.prove(b["key"], a["crt"], rsa_padding="pkcs1v15").ok
    with pytest.raises(cl.CsrLearnError, match="rsa_padding must be 'pss' or 'pkcs1v15'"):
        cl.prove(a["key"], a["crt"], rsa_padding="oaep")


def test_objects_and_full_chain_files(tmp_path):
    """prove() takes cryptography objects too, and a full-chain file counts as its leaf certificate."""
    key = cl.generate_key("ec")
    cert = cl.TrainingCA().issue(cl.build_csr(key, None, ["www.example.com"]))
    assert cl.prove(key, cert).ok
    ca = cl.TrainingCA()
    cert = ca.issue(cl.build_csr(key, None, ["www.example.com"]))
    (tmp_path / "fullchain.pem").write_bytes(ca.fullchain(cert))
    assert cl.prove(key, tmp_path / "fullchain.pem").ok


def test_encrypted_key_needs_its_passphrase(tmp_path):
    """An encrypted key proves with its passphrase; without it the error says what to do."""
    key = cl.generate_key("ec")
    cl.save_key(key, tmp_path / "k.key", passphrase="correct horse")
    csr = cl.build_csr(key, None, ["www.example.com"])
    assert cl.prove(tmp_path / "k.key", csr, passphrase="correct horse").ok
    with pytest.raises(cl.PassphraseError, match="encrypted; give its passphrase"):
        cl.prove(tmp_path / "k.key", csr)


def test_arguments_in_the_wrong_order_are_a_clear_error(kits):
    """Certificate first, key second: an InputError that says which comes first."""
    a, _ = kits["rsa"]
    with pytest.raises(cl.InputError, match="give the private key first"):
        cl.prove(a["crt"], a["key"])
    with pytest.raises(cl.InputError, match="is a private key"):
        cl.prove(cl.load_one(a["key"]), cl.load_one(a["key"]))


def test_damaged_rsa_key_is_refused_before_signing(tmp_path):
    """prove() checks an RSA key fully: a key whose numbers do not fit together is an error, not a proof."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    good = rsa.generate_private_key(65537, 2048)
    n = good.private_numbers()
    bad = rsa.RSAPrivateNumbers(n.p, n.q, n.d, n.dmp1, n.dmq1, (n.iqmp + 1) % n.p, n.public_numbers)
    der = bad.private_key(unsafe_skip_rsa_key_validation=True).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    (tmp_path / "bad.der").write_bytes(der)
    csr = cl.build_csr(good, None, ["www.example.com"])
    with pytest.raises(cl.InputError, match="damaged"):
        cl.prove(tmp_path / "bad.der", csr)


def test_proof_shows_no_key_material(kits):
    """The proof's text, HTML and JSON name types and fingerprints, never the private key's numbers."""
    a, _ = kits["rsa"]
    proof = cl.prove(a["key"], a["crt"])
    d = cl.load_one(a["key"]).obj.private_numbers().d
    for text in (str(proof), proof._repr_html_(), json.dumps(proof.to_dict()), repr(proof)):
        assert f"{d:x}"[:32] not in text.lower() and str(d)[:32] not in text
    assert "PROVEN" in str(proof) and "✔ PROVEN" in proof._repr_html_()


def test_cli_prove_exit_codes_and_json(kits, capsys):
    """`csrlearn prove KEY CERT`: 0 and PROVEN for the pair, 1 and NOT PROVEN otherwise, 2 for bad input."""
    a, b = kits["ec"]
    code, out, err = run(capsys, "prove", a["key"], a["crt"])
    assert (code, err) == (0, "") and out.startswith("PROVEN: ")
    code, out, _ = run(capsys, "prove", b["key"], a["crt"])
    assert code == 1 and out.startswith("NOT PROVEN: ")
    code, out, _ = run(capsys, "prove", "--json", a["key"], a["csr"])
    got = json.loads(out)
    assert code == 0 and got["ok"] is True and got["other_kind"] == "csr"
    assert set(got) >= {"ok", "reason", "key_type", "other_key_type", "scheme", "key_spki_sha256",
                        "other_spki_sha256", "challenge_sha256"}
    code, out, err = run(capsys, "prove", a["crt"], a["key"])
    assert code == 2 and out == "" and err.startswith("csrlearn: ") and err.count("\n") == 1
