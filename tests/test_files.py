"""Loading real-world files (PEM, DER, chains, encrypted keys, PKCS#12) and writing keys safely."""
from __future__ import annotations

import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import csrlearn as cl
from conftest import KEY_TYPES, openssl_key_csr_cert, run_openssl


@pytest.fixture(scope="module")
def rsa_set(tmp_path_factory):
    return openssl_key_csr_cert(tmp_path_factory.mktemp("rsa"), "rsa")


def test_several_blocks_in_one_file(rsa_set, tmp_path):
    """A combined key+certificate file yields both items, in order, with the certificate as leaf."""
    p = tmp_path / "combined.pem"
    p.write_bytes(rsa_set["key"].read_bytes() + rsa_set["crt"].read_bytes())
    items = cl.load(p)
    assert [(i.kind, i.index, i.role) for i in items] == [("private_key", 0, ""), ("certificate", 1, "leaf")]
    assert items[0].fingerprint == items[1].fingerprint


def test_chain_file_leaf_is_first(tmp_path):
    """In a full chain the first certificate is the leaf and the others are its chain."""
    ca = cl.TrainingCA()
    key = cl.generate_key("ec")
    cert = ca.issue(cl.build_csr(key, None, ["www.example.com"]))
    p = tmp_path / "fullchain.pem"
    p.write_bytes(ca.fullchain(cert))
    items = cl.load(p)
    assert [i.role for i in items] == ["leaf", "chain"]
    assert cl.load_one(p).fingerprint == cl.fingerprint(key)


def test_crlf_and_text_before_begin(rsa_set, tmp_path):
    """CRLF line ends and an `openssl x509 -text` dump before BEGIN are read."""
    text = run_openssl("x509", "-in", str(rsa_set["crt"]), "-text").stdout
    p = tmp_path / "dump.crt"
    p.write_bytes(b"Bag Attributes\r\n    friendlyName: x\r\n" + text.replace(b"\n", b"\r\n"))
    assert cl.load_one(p).kind == "certificate"


def test_new_certificate_request_header(rsa_set, tmp_path):
    """The old `NEW CERTIFICATE REQUEST` header is a CSR too."""
    p = tmp_path / "new.csr"
    p.write_bytes(rsa_set["csr"].read_bytes().replace(b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"))
    assert cl.load_one(p).kind == "csr"


@pytest.mark.parametrize("what,args", [
    ("certificate", ["x509", "-in", "{crt}", "-outform", "DER"]),
    ("csr", ["req", "-in", "{csr}", "-outform", "DER"]),
    ("private_key", ["pkey", "-in", "{key}", "-outform", "DER"]),
    ("public_key", ["pkey", "-in", "{key}", "-pubout", "-outform", "DER"]),
])
def test_der_detected_from_bytes(rsa_set, tmp_path, what, args):
    """DER is recognised from the bytes, whatever the file is called."""
    p = tmp_path / "misleading-name.pem"
    args = [a.format(**{k: str(v) for k, v in rsa_set.items()}) for a in args]
    run_openssl(*args, "-out", str(p))
    item = cl.load_one(p)
    assert (item.kind, item.format) == (what, "DER")
    assert item.fingerprint == cl.load_one(rsa_set["key"]).fingerprint


@pytest.mark.parametrize("form", ["pkcs8", "pkcs1", "sec1"])
def test_private_key_encodings(tmp_path, form):
    """PKCS#8, PKCS#1 (RSA) and SEC1 (EC) private keys all load to the same key."""
    if form == "sec1":
        run_openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", str(tmp_path / "k"))
        assert b"EC PRIVATE KEY" in (tmp_path / "k").read_bytes()
    else:
        run_openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(tmp_path / "k"))
        if form == "pkcs1":
            run_openssl("rsa", "-in", str(tmp_path / "k"), "-traditional", "-out", str(tmp_path / "k"))
            assert b"RSA PRIVATE KEY" in (tmp_path / "k").read_bytes()
    item = cl.load_one(tmp_path / "k")
    assert item.kind == "private_key"
    pub = run_openssl("pkey", "-in", str(tmp_path / "k"), "-pubout", "-outform", "DER").stdout
    import hashlib
    assert item.fingerprint == hashlib.sha256(pub).hexdigest()


@pytest.mark.parametrize("legacy", [False, True])
def test_encrypted_keys(rsa_set, tmp_path, legacy):
    """Encrypted keys (PKCS#8 and legacy Proc-Type) need the passphrase; a wrong one is a PassphraseError."""
    p = tmp_path / "enc.key"
    if legacy:
        run_openssl("rsa", "-in", str(rsa_set["key"]), "-aes256", "-traditional", "-passout", "pass:s3cret", "-out", str(p))
        assert b"Proc-Type: 4,ENCRYPTED" in p.read_bytes()
    else:
        run_openssl("pkcs8", "-topk8", "-in", str(rsa_set["key"]), "-passout", "pass:s3cret", "-out", str(p))
    with pytest.raises(cl.PassphraseError, match="enc.key: the key is encrypted; give its passphrase"):
        cl.load(p)
    with pytest.raises(cl.PassphraseError, match="wrong passphrase"):
        cl.load(p, passphrase="nope")
    item = cl.load_one(p, passphrase="s3cret")
    assert item.encrypted and item.fingerprint == cl.load_one(rsa_set["key"]).fingerprint


def test_pkcs12(rsa_set, tmp_path):
    """A PKCS#12 file gives its key and certificate with the passphrase, and a clear error without it."""
    p = tmp_path / "bundle.p12"
    run_openssl("pkcs12", "-export", "-inkey", str(rsa_set["key"]), "-in", str(rsa_set["crt"]),
                "-passout", "pass:pw", "-out", str(p))
    with pytest.raises(cl.PassphraseError, match="bundle.p12: is a PKCS#12 file protected by a passphrase"):
        cl.load(p)
    with pytest.raises(cl.PassphraseError, match="wrong passphrase"):
        cl.load(p, passphrase="bad")
    items = cl.load(p, passphrase="pw")
    assert [(i.kind, i.format) for i in items] == [("private_key", "PKCS12"), ("certificate", "PKCS12")]


def test_utf16_with_bom(rsa_set, tmp_path):
    """A PEM file saved as UTF-16 with a byte-order mark (Windows editors) is read."""
    p = tmp_path / "u16.crt"
    p.write_bytes(rsa_set["crt"].read_text().encode("utf-16"))
    assert cl.load_one(p).kind == "certificate"


@pytest.mark.parametrize("content,fragment", [
    (b"", "is empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3, "binary data that is neither PEM nor DER"),
    (b'{"certificate": "nope"}', "is JSON"),
    (b"hello world\n", "text without a PEM block"),
    (b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ6 me@host\n", "OpenSSH public key"),
    (b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
     "this is an OpenSSH key, not a PEM private key; convert it with ssh-keygen -p -m PEM"),
    (b"-----BEGIN CERTIFICATE-----\nMIIB!!!notbase64\n-----END CERTIFICATE-----\n", "base64 inside the CERTIFICATE block is corrupted"),
    (b"-----BEGIN CERTIFICATE-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n", "no END line"),
    (b"\x30\x82\x05\x00\x02\x01", "truncated"),
])
def test_bad_content_names_the_file(tmp_path, content, fragment):
    """Unreadable content raises an InputError that names the file and says what it is."""
    p = tmp_path / "thing.pem"
    p.write_bytes(content)
    with pytest.raises(cl.InputError) as e:
        cl.load(p)
    assert str(e.value).startswith(f"{p}: ") and fragment in str(e.value)


def test_body_that_does_not_fit_its_header(rsa_set, tmp_path):
    """A CSR body under a CERTIFICATE header is reported as such."""
    p = tmp_path / "swapped.pem"
    p.write_bytes(rsa_set["csr"].read_bytes().replace(b"CERTIFICATE REQUEST", b"CERTIFICATE"))
    with pytest.raises(cl.InputError, match="the block says CERTIFICATE but holds a csr"):
        cl.load(p)


def test_size_cap_checked_before_reading(tmp_path, monkeypatch):
    """A 5 MB file is refused from its size, without reading its content."""
    p = tmp_path / "big.pem"
    p.write_bytes(b"A" * 5_000_000)
    monkeypatch.setattr(os, "read", lambda *a: pytest.fail("read() called on an oversized file"))
    with pytest.raises(cl.InputError, match="far larger than any key"):
        cl.load(p)


def test_directory_and_missing_file(tmp_path):
    """A directory or a missing path named as a file is a clear error."""
    with pytest.raises(cl.InputError, match="is a directory"):
        cl.load(tmp_path)
    with pytest.raises(cl.InputError, match="no such file"):
        cl.load(tmp_path / "nope.pem")


def test_load_from_text_and_bytes(rsa_set):
    """PEM text and raw bytes load like files, with no path."""
    items = cl.load(rsa_set["csr"].read_text())
    assert items[0].kind == "csr" and items[0].path is None
    assert cl.load(rsa_set["csr"].read_bytes())[0].kind == "csr"


def test_load_one_refuses_several(rsa_set, tmp_path):
    """load_one on a file with a key and a certificate says how many it found; kind= picks one."""
    p = tmp_path / "both.pem"
    p.write_bytes(rsa_set["key"].read_bytes() + rsa_set["crt"].read_bytes())
    with pytest.raises(cl.InputError, match="holds 2 items"):
        cl.load_one(p)
    assert cl.load_one(p, kind="certificate").kind == "certificate"


def test_item_repr_shows_no_key_material(rsa_set):
    """An Item's repr and str show kind, type and fingerprint, never the key."""
    item = cl.load_one(rsa_set["key"])
    text = repr(item) + str(item) + item._repr_html_()
    assert "PRIVATE KEY" not in text and "RSA 2048" in text
    n = item.obj.private_numbers()
    assert format(n.p, "x")[:20] not in text.lower() and format(n.d, "X")[:20] not in text


# ---------------------------------------------------------------------------------------------- writing

@pytest.mark.parametrize("kind", KEY_TYPES)
def test_save_key_0600_and_openssl_reads_it(kind, tmp_path):
    """save_key writes PKCS#8 with mode 0600, and openssl reads it (encrypted too)."""
    key = cl.generate_key(kind)
    p = cl.save_key(key, tmp_path / "k.key")
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    run_openssl("pkey", "-in", str(p), "-noout")
    e = cl.save_key(key, tmp_path / "e.key", passphrase="pw")
    assert b"ENCRYPTED PRIVATE KEY" in e.read_bytes()
    run_openssl("pkey", "-in", str(e), "-passin", "pass:pw", "-noout")


def test_save_key_0600_under_umask_000(tmp_path):
    """Keys are 0600 even when the umask would allow everyone to read them."""
    old = os.umask(0)
    try:
        p = cl.save_key(cl.generate_key("ec"), tmp_path / "k.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_save_never_overwrites_unless_asked(tmp_path):
    """An existing file is kept unless overwrite=True; the refusal says how to proceed."""
    p = tmp_path / "k.key"
    p.write_text("precious")
    with pytest.raises(cl.WouldOverwriteError, match="already exists.*--force"):
        cl.save_key(cl.generate_key("ec"), p)
    assert p.read_text() == "precious"
    cl.save_key(cl.generate_key("ec"), p, overwrite=True)
    assert b"PRIVATE KEY" in p.read_bytes()


def test_save_never_writes_through_symlink(tmp_path):
    """A symlink at the target is refused, even with overwrite, and its target is untouched."""
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    link = tmp_path / "k.key"
    link.symlink_to(target)
    for overwrite in (False, True):
        with pytest.raises(cl.WouldOverwriteError, match="symbolic link"):
            cl.save_key(cl.generate_key("ec"), link, overwrite=overwrite)
    assert target.read_text() == "keep"


def test_save_leaves_no_temp_files(tmp_path):
    """Atomic writes leave only the final file behind."""
    key = cl.generate_key("ec")
    cl.save_key(key, tmp_path / "a.key")
    cl.save(cl.build_csr(key, None, ["a.example"]), tmp_path / "a.csr")
    cl.save(cl.build_csr(key, None, ["a.example"]), tmp_path / "a.der", der=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csr", "a.der", "a.key"]
    assert cl.load_one(tmp_path / "a.der").format == "DER"
