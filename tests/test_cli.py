"""The csrlearn command: thin over the library, exit codes 0/1/2, one-line errors, JSON per DESIGN.md."""
from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys

import pytest

import csrlearn as cl
from csrlearn.cli import main
from conftest import openssl_key_csr_cert, run_openssl


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("key_type,extra,expect", [
    ("rsa", [], "RSA 2048"), ("rsa", ["--bits", "3072"], "RSA 3072"),
    ("ec", [], "EC P-256"), ("ec", ["--curve", "P-384"], "EC P-384"), ("ed25519", [], "Ed25519"),
])
def test_new_writes_key_and_csr_openssl_accepts(tmp_path, capsys, key_type, extra, expect):
    """`new` writes NAME.key (0600) and NAME.csr; openssl verifies the CSR; the CN is also a SAN."""
    code, out, err = run(capsys, "new", "--cn", "www.example.com", "--san", "api.example.com", "--subject", "/C=US/O=Acme",
                         "--key-type", key_type, *extra, "-o", str(tmp_path))
    assert code == 0, err
    key, csr = tmp_path / "www.example.com.key", tmp_path / "www.example.com.csr"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    text = run_openssl("req", "-in", str(csr), "-noout", "-verify", "-text")
    assert b"verify failure" not in text.stderr + text.stdout
    assert b"DNS:www.example.com, DNS:api.example.com" in text.stdout
    info = cl.describe(cl.load_one(csr))
    assert str(info.key) == expect and info.subject == "CN=www.example.com,O=Acme,C=US"
    assert cl.match([key, csr]).verdict == "match"
    assert "PRIVATE KEY" not in out + err


def test_new_refuses_to_overwrite_then_force(tmp_path, capsys):
    """A second `new` with the same name exits 2 and leaves the first pair intact; --force replaces it."""
    assert run(capsys, "new", "--cn", "a.example.com", "-o", str(tmp_path))[0] == 0
    before = (tmp_path / "a.example.com.key").read_bytes()
    code, out, err = run(capsys, "new", "--cn", "a.example.com", "-o", str(tmp_path))
    assert code == 2 and err.startswith("csrlearn: ") and "already exists" in err and err.count("\n") == 1
    assert (tmp_path / "a.example.com.key").read_bytes() == before
    assert run(capsys, "new", "--cn", "a.example.com", "-o", str(tmp_path), "--force")[0] == 0
    assert (tmp_path / "a.example.com.key").read_bytes() != before


def test_new_encrypt_with_passphrase_file(tmp_path, capsys):
    """`new --encrypt --passphrase-file` writes an encrypted key openssl opens with that passphrase."""
    pw = tmp_path / "pw.txt"
    pw.write_text("correct horse\n")
    code, out, err = run(capsys, "new", "--cn", "e.example.com", "--key-type", "ec", "--encrypt",
                         "--passphrase-file", str(pw), "-o", str(tmp_path))
    assert code == 0, err
    key = tmp_path / "e.example.com.key"
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    run_openssl("pkey", "-in", str(key), "-passin", "pass:correct horse", "-noout")
    assert "correct horse" not in out + err


def test_new_encrypt_without_terminal_or_file_fails(tmp_path, capsys, monkeypatch):
    """`new --encrypt` with no passphrase file and no terminal exits 2 and writes nothing."""
    monkeypatch.setattr(sys, "stdin", open(os.devnull))
    code, out, err = run(capsys, "new", "--cn", "x.example.com", "--encrypt", "-o", str(tmp_path))
    assert code == 2 and "--passphrase-file" in err
    assert list(tmp_path.iterdir()) == []


def test_new_wildcard_name(tmp_path, capsys):
    """A wildcard CN gets a safe file name."""
    assert run(capsys, "new", "--cn", "*.example.com", "--key-type", "ec", "-o", str(tmp_path))[0] == 0
    assert (tmp_path / "star.example.com.csr").exists()


def test_decode_json_shape(tmp_path, capsys):
    """`decode --json` prints a list with the DESIGN.md fields, for a CSR and a chain file."""
    files = openssl_key_csr_cert(tmp_path, "ec")
    code, out, err = run(capsys, "decode", "--json", str(files["csr"]), str(files["crt"]))
    assert code == 0, err
    data = json.loads(out)
    assert [d["kind"] for d in data] == ["csr", "certificate"]
    csr, crt = data
    assert csr["file"] == str(files["csr"]) and csr["index"] == 0 and csr["format"] == "PEM"
    assert csr["key"] == {"algorithm": "EC", "bits": 256, "curve": "P-256"}
    assert csr["signature_valid"] is True and csr["sans"] == [{"type": "DNS", "value": "www.example.com"}]
    for field in ("spki_sha256", "subject", "signature_algorithm", "attributes", "extensions"):
        assert field in csr
    for field in ("issuer", "serial", "not_before", "not_after"):
        assert field in crt


def test_decode_text(tmp_path, capsys):
    """`decode` without --json prints a readable table per item."""
    files = openssl_key_csr_cert(tmp_path, "rsa")
    code, out, _ = run(capsys, "decode", str(files["csr"]))
    assert code == 0 and "Subject" in out and "CN=www.example.com" in out and "Signature" in out


def test_modulus_and_md5_match_openssl(tmp_path, capsys):
    """`modulus` prints openssl's line; `--md5` prints what the md5 pipe prints."""
    files = openssl_key_csr_cert(tmp_path, "rsa")
    expected = run_openssl("x509", "-in", str(files["crt"]), "-noout", "-modulus").stdout.decode()
    code, out, _ = run(capsys, "modulus", str(files["crt"]))
    assert code == 0 and out == expected
    md5 = run_openssl("md5", input=expected.encode()).stdout.decode()
    code, out, _ = run(capsys, "modulus", "--md5", str(files["key"]))
    assert code == 0 and out == md5


def test_modulus_of_ec_key_is_a_clear_error(tmp_path, capsys):
    """`modulus` of an EC file exits 2 and points to fingerprints instead of printing junk."""
    files = openssl_key_csr_cert(tmp_path, "ec")
    code, out, err = run(capsys, "modulus", str(files["crt"]))
    assert code == 2 and out == "" and "only RSA keys have a modulus" in err and str(files["crt"]) in err


def test_fingerprint_lines(tmp_path, capsys):
    """`fingerprint` prints `SHA256 <hex>  FILE` per file, equal for key, CSR and certificate."""
    files = openssl_key_csr_cert(tmp_path, "ed25519")
    code, out, _ = run(capsys, "fingerprint", str(files["key"]), str(files["csr"]), str(files["crt"]))
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert len({l.split()[1] for l in lines}) == 1 and lines[0] == f"SHA256 {cl.fingerprint(cl.load_one(files['key']))}  {files['key']}"


def test_match_exit_codes_and_json(tmp_path, capsys):
    """`match` exits 0 on a match, 1 on a mismatch (explained), 2 when a named file cannot be read."""
    a = openssl_key_csr_cert(tmp_path, "rsa", "a")
    b = openssl_key_csr_cert(tmp_path, "ec", "b")
    code, out, _ = run(capsys, "match", "--json", str(a["key"]), str(a["csr"]), str(a["crt"]))
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "match" and len(data["groups"]) == 1
    assert set(data) >= {"groups", "explanations", "skipped", "errors", "verdict"}
    assert set(data["groups"][0]) == {"spki_sha256", "key", "items"}
    code, out, _ = run(capsys, "match", str(a["key"]), str(b["crt"]))
    assert code == 1 and "MISMATCH" in out and "can never belong together" in out
    (tmp_path / "junk.txt").write_text("not a cert")
    code, out, err = run(capsys, "match", "--json", str(a["key"]), str(tmp_path / "junk.txt"))
    assert code == 2 and json.loads(out)["verdict"] == "error" and "junk.txt" in err


def test_match_directory(tmp_path, capsys):
    """`match DIR` walks it, skipping files that hold no key, CSR or certificate."""
    openssl_key_csr_cert(tmp_path, "ec")
    (tmp_path / "notes.md").write_text("# renewal notes")
    code, out, _ = run(capsys, "match", "--json", str(tmp_path))
    data = json.loads(out)
    assert code == 0 and data["skipped"] == [{"file": str(tmp_path / "notes.md"), "reason": data["skipped"][0]["reason"]}]


def test_ca_issue(tmp_path, capsys):
    """`ca issue` writes a full chain (leaf first) that matches the CSR's key; refuses to overwrite."""
    files = openssl_key_csr_cert(tmp_path, "rsa")
    out_file = tmp_path / "fullchain.pem"
    code, out, err = run(capsys, "ca", "issue", str(files["csr"]), "-o", str(out_file))
    assert code == 0, err
    items = cl.load(out_file)
    assert [i.role for i in items] == ["leaf", "chain"]
    assert cl.match([files["key"], out_file]).verdict == "match"
    assert run(capsys, "ca", "issue", str(files["csr"]), "-o", str(out_file))[0] == 2


@pytest.mark.parametrize("argv,fragment", [
    (["decode", "/nonexistent/x.pem"], "/nonexistent/x.pem: no such file"),
    (["new"], "give --cn NAME"),
    (["new", "--cn", "x.example", "--subject", "/C=USA"], "two-letter"),
    (["frobnicate"], "invalid choice"),
    (["new", "--cn", "x", "--bits", "1024"], "invalid choice"),
])
def test_bad_input_exit_2_one_line(capsys, argv, fragment):
    """Bad input or usage exits 2 with one `csrlearn: …` line and no traceback."""
    code, out, err = run(capsys, *argv)
    assert code == 2 and fragment in err and "Traceback" not in err
    assert [l for l in err.splitlines() if l.startswith("csrlearn: ")]


def test_passphrase_never_an_argument(capsys):
    """`--passphrase VALUE` is refused (not taken as --passphrase-file), and the value is not echoed."""
    code, out, err = run(capsys, "decode", "--passphrase", "hunter2-secret", "f.pem")
    assert code == 2 and "--passphrase-file" in err and "hunter2-secret" not in out + err


def test_python_dash_m_and_console_script(tmp_path):
    """`python -m csrlearn` and the `csrlearn` console script run the same CLI."""
    r = subprocess.run([sys.executable, "-m", "csrlearn", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("csrlearn ")
    script = os.path.join(os.path.dirname(sys.executable), "csrlearn")
    r = subprocess.run([script, "new", "--cn", "s.example.com", "--key-type", "ec", "-o", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0 and (tmp_path / "s.example.com.csr").exists()


class _Terminal(io.StringIO):
    """A stand-in for stderr at a terminal (isatty() is true), recording what is written."""

    def isatty(self) -> bool:
        return True


def _folder_of(tmp_path, n: int):
    """A folder of n copies of one certificate (matching them all: quick)."""
    f = openssl_key_csr_cert(tmp_path, "ec")
    data = f["crt"].read_bytes()
    folder = tmp_path / f"many{n}"
    folder.mkdir()
    for i in range(n):
        (folder / f"c{i:04d}.crt").write_bytes(data)
    return folder


@pytest.mark.parametrize("n,json_out,tty,shown", [
    (450, False, True, True), (450, True, True, False), (450, False, False, False), (250, False, True, False),
])
def test_match_progress_only_for_big_folders_at_a_terminal(tmp_path, monkeypatch, capsys, n, json_out, tty, shown):
    """A progress line on stderr for a folder of 300+ files when stderr is a terminal; never in --json or a pipe."""
    folder = _folder_of(tmp_path, n)
    err = _Terminal() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    code = main(["match", *(["--json"] if json_out else []), str(folder)])
    out = capsys.readouterr().out
    assert code == 0
    assert ("csrlearn: read 400 files" in err.getvalue()) is shown
    assert "read 200 files" not in err.getvalue() and "read" not in out
    if json_out:
        assert json.loads(out)["verdict"] == "match"
