"""The openssl recipe: `csrlearn new … --openssl` prints a snippet that makes the same key and CSR with openssl alone."""
from __future__ import annotations

import os
import stat
import subprocess

import pytest

import csrlearn as cl
from csrlearn.cli import main
from conftest import run_openssl

SUBJECT = "/C=DE/ST=Berlin/O=Beispiel GmbH/OU=IT/CN=www.example.com"
SANS = ["www.example.com", "example.com", "203.0.113.7", "2001:db8::1", "ops@example.com", "https://example.com/"]


def bake(recipe: str, cwd, stdin: str = "") -> subprocess.CompletedProcess:
    """Run a recipe with bash in ``cwd`` (stdin answers its passphrase prompts)."""
    return subprocess.run(["bash", "-c", recipe], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("key_type,options,expect", [
    ("rsa", {}, "RSA 2048"), ("rsa", {"bits": 3072}, "RSA 3072"), ("ec", {}, "EC P-256"),
    ("ec", {"curve": "P-384"}, "EC P-384"), ("ed25519", {}, "Ed25519"),
])
def test_recipe_makes_the_csr_csrlearn_would_build(tmp_path, key_type, options, expect):
    """Run by bash, the recipe makes a key (0600) and a CSR with csrlearn's subject, SANs, key type and hash."""
    recipe = cl.openssl_recipe(SUBJECT, SANS, key_type=key_type, name="www", **options)
    proc = bake(recipe, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["www.cnf", "www.csr", "www.key"]
    assert stat.S_IMODE((tmp_path / "www.key").stat().st_mode) == 0o600
    made = cl.describe(cl.load_one(tmp_path / "www.csr"))
    key = cl.load_one(tmp_path / "www.key").obj
    ours = cl.describe(cl.build_csr(key, cl.Subject.parse(SUBJECT), SANS))
    assert (made.subject, made.sans, str(made.key)) == (ours.subject, ours.sans, str(ours.key))
    assert str(made.key) == expect and made.signature_valid
    assert made.signature_algorithm == ours.signature_algorithm
    assert cl.match([tmp_path / "www.key", tmp_path / "www.csr"]).verdict == "match"
    verify = run_openssl("req", "-in", str(tmp_path / "www.csr"), "-noout", "-verify")
    assert "verify OK" in verify.stdout.decode() + verify.stderr.decode()


def test_encrypted_recipe_asks_twice_and_encrypts_the_key(tmp_path):
    """With encrypt, the passphrase is read at a prompt (twice), handed over by environment, and the key is AES-256."""
    recipe = cl.openssl_recipe("/CN=secure.example.com", ["secure.example.com"], key_type="ec", encrypt=True,
                               name="secure")
    assert "pass:" not in recipe and "env:CSRLEARN_PASS" in recipe and "-aes-256-cbc" in recipe
    proc = bake(recipe, tmp_path, stdin="tr0ub4dor&3\ntr0ub4dor&3\n")
    assert proc.returncode == 0, proc.stderr
    with pytest.raises(cl.PassphraseError):
        cl.load_one(tmp_path / "secure.key")
    key = cl.load_one(tmp_path / "secure.key", passphrase="tr0ub4dor&3")
    assert key.encrypted and stat.S_IMODE((tmp_path / "secure.key").stat().st_mode) == 0o600
    assert cl.prove(key, tmp_path / "secure.csr").ok
    assert "aes-256-cbc" in run_openssl("asn1parse", "-in", str(tmp_path / "secure.key")).stdout.decode()


def test_encrypted_recipe_stops_when_the_passphrases_differ(tmp_path):
    """Two different answers at the prompts: exit 1, and no key or CSR is made."""
    recipe = cl.openssl_recipe("/CN=x.example.com", ["x.example.com"], key_type="ec", encrypt=True, name="x")
    proc = bake(recipe, tmp_path, stdin="one\ntwo\n")
    assert proc.returncode == 1 and "differ" in proc.stderr
    assert not (tmp_path / "x.key").exists() and not (tmp_path / "x.csr").exists()


def test_recipe_never_overwrites_a_key(tmp_path):
    """If NAME.key exists, the recipe stops before openssl runs and the old key is untouched."""
    (tmp_path / "www.key").write_text("the old key")
    proc = bake(cl.openssl_recipe("/CN=www.example.com", ["www.example.com"], key_type="ec", name="www"), tmp_path)
    assert proc.returncode == 1 and "already exists" in proc.stderr
    assert (tmp_path / "www.key").read_text() == "the old key" and not (tmp_path / "www.csr").exists()


def test_values_openssl_would_expand_stay_literal(tmp_path):
    """$variables, # comments, quotes and backslashes in values reach the CSR exactly as written."""
    org = "Acme $HOME #1 \"quoted\" 'single' back\\slash"
    subject = cl.Subject(common_name="odd.example.com", organization=org)
    proc = bake(cl.openssl_recipe(subject, ["odd.example.com"], key_type="ec", name="odd"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    made = cl.load_one(tmp_path / "odd.csr").obj
    assert made.subject == cl.build_csr(cl.generate_key("ec"), subject, ["odd.example.com"]).subject


def test_empty_subject_with_sans(tmp_path):
    """A CSR with SANs only (no subject at all) is made too, as csrlearn builds it."""
    proc = bake(cl.openssl_recipe(None, ["only-san.example.com"], key_type="ed25519", name="s"), tmp_path)
    assert proc.returncode == 0, proc.stderr
    made = cl.describe(cl.load_one(tmp_path / "s.csr"))
    assert made.subject == "" and [s["value"] for s in made.to_dict()["sans"]] == ["only-san.example.com"]


@pytest.mark.parametrize("kwargs,message", [
    ({"key_type": "dsa"}, "key type must be rsa, ec or ed25519"),
    ({"bits": 1024}, "RSA key size must be one of"),
    ({"key_type": "ec", "curve": "secp256k1"}, "curve must be"),
    ({"name": "../evil"}, "file name stem"),
])
def test_recipe_refuses_what_csrlearn_would_refuse(kwargs, message):
    """Weak or unknown key parameters and unsafe file names are refused before any recipe is printed."""
    with pytest.raises(cl.CsrLearnError, match=message):
        cl.openssl_recipe("/CN=www.example.com", ["www.example.com"], **kwargs)


def test_cli_new_openssl_prints_the_recipe_and_writes_nothing(tmp_path, capsys):
    """`csrlearn new --openssl` prints the recipe for the same request and writes no file at all."""
    code = main(["new", "--cn", "www.example.com", "--san", "example.com", "--subject", "/C=US/O=Acme",
                 "--key-type", "ec", "--openssl", "-o", str(tmp_path)])
    out, err = capsys.readouterr()
    assert (code, err, os.listdir(tmp_path)) == (0, "", [])
    expected = cl.openssl_recipe(cl.Subject(common_name="www.example.com", organization="Acme", country="US"),
                                 ["www.example.com", "example.com"], key_type="ec", name="www.example.com")
    assert out == expected + "\n"
    proc = bake(out, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert cl.describe(cl.load_one(tmp_path / "www.example.com.csr")).subject == "CN=www.example.com,O=Acme,C=US"
