"""A catalogue of bad input, as found on real servers: each kind gives exit code 2 and one stderr line
``csrlearn: FILE: what is wrong: what to do`` — never a traceback, never a hang.

Each case builds its file in a temporary directory (real openssl and ssh-keygen where they make the
file in real life) and names the advice the message must give.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pytest

from csrlearn.cli import main
from conftest import openssl_key_csr_cert, run_openssl

CASES: dict[str, Callable[[Path], tuple[list[str], Path, str]]] = {}


def case(fn):
    """Register a case: fn(tmp) -> (argv after the command, the file the message must name, advice regex)."""
    CASES[fn.__name__] = fn
    return fn


def _pem(label: str, der: bytes) -> bytes:
    import base64
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN " + label.encode() + b"-----\n" + lines + b"\n-----END " + label.encode() + b"-----\n"


def _files(tmp: Path, kind: str = "rsa") -> dict[str, Path]:
    return openssl_key_csr_cert(tmp, kind)


def _write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def _pw(tmp: Path, value: str) -> str:
    return str(_write(tmp, f"pass-{value}.txt", value.encode() + b"\n"))


# ------------------------------------------------------------------------------------------ the catalogue

@case
def empty(tmp):
    p = _write(tmp, "empty.pem", b"")
    return ["decode", str(p)], p, r"is empty: expected a PEM or DER"


@case
def whitespace_only(tmp):
    p = _write(tmp, "blank.crt", b"\n\r\n   \t\n")
    return ["decode", str(p)], p, r"is empty: expected a PEM or DER"


@case
def binary_image(tmp):
    p = _write(tmp, "logo.crt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    return ["decode", str(p)], p, r"neither PEM nor DER: expected a key, CSR or certificate"


@case
def truncated_pem(tmp):
    crt = _files(tmp)["crt"].read_bytes()
    p = _write(tmp, "cut.crt", crt[: len(crt) // 2])
    return ["decode", str(p)], p, r"no END line.*copy it again in full"


@case
def truncated_der(tmp):
    der = run_openssl("x509", "-in", str(_files(tmp)["crt"]), "-outform", "DER").stdout
    p = _write(tmp, "cut.der", der[: len(der) - 40])
    return ["decode", str(p)], p, r"truncated.*copy it again"


@case
def wrong_header(tmp):
    csr = _files(tmp)["csr"].read_bytes().replace(b"CERTIFICATE REQUEST", b"CERTIFICATE")
    p = _write(tmp, "csr-says-cert.pem", csr)
    return ["decode", str(p)], p, r"says CERTIFICATE but holds a csr: fix the BEGIN/END lines"


@case
def mismatched_end_line(tmp):
    crt = _files(tmp)["crt"].read_bytes().replace(b"END CERTIFICATE", b"END PRIVATE KEY")
    p = _write(tmp, "end.crt", crt)
    return ["decode", str(p)], p, r"no END line.*copy it again"


@case
def bad_base64(tmp):
    crt = bytearray(_files(tmp)["crt"].read_bytes())
    crt[100] = ord("*")
    p = _write(tmp, "star.crt", bytes(crt))
    return ["decode", str(p)], p, r"base64 .* corrupted: copy the file again"


@case
def bad_der_tag(tmp):
    der = bytearray(run_openssl("x509", "-in", str(_files(tmp)["crt"]), "-outform", "DER").stdout)
    der[4] = 0x31  # the TBSCertificate SEQUENCE becomes a SET
    p = _write(tmp, "tag.der", bytes(der))
    return ["decode", str(p)], p, r"(corrupted|not a certificate).*(copy it again|expected)"


@case
def trailing_garbage_after_der(tmp):
    der = run_openssl("x509", "-in", str(_files(tmp)["crt"]), "-outform", "DER").stdout
    p = _write(tmp, "tail.der", der + b"\x00garbage")
    return ["decode", str(p)], p, r"trailing garbage.*copy it again"


@case
def openssh_private_key(tmp):
    p = tmp / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(p)], check=True, timeout=60)
    return ["decode", str(p)], p, r"OpenSSH key.*ssh-keygen -p -m PEM"


@case
def openssh_public_key(tmp):
    p = tmp / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(p)], check=True, timeout=60)
    pub = Path(str(p) + ".pub")
    return ["decode", str(pub)], pub, r"OpenSSH public key.*ssh-keygen -e -m PKCS8"


@case
def pkcs12_without_passphrase(tmp):
    f = _files(tmp)
    p = tmp / "site.p12"
    run_openssl("pkcs12", "-export", "-inkey", str(f["key"]), "-in", str(f["crt"]), "-out", str(p), "-passout", "pass:s3cret")
    return ["decode", str(p)], p, r"PKCS#12 .*passphrase.*--passphrase-file"


@case
def pkcs12_wrong_passphrase(tmp):
    f = _files(tmp)
    p = tmp / "site.p12"
    run_openssl("pkcs12", "-export", "-inkey", str(f["key"]), "-in", str(f["crt"]), "-out", str(p), "-passout", "pass:s3cret")
    return ["decode", "--passphrase-file", _pw(tmp, "wrong"), str(p)], p, r"wrong passphrase.*try again"


@case
def pkcs8_encrypted_without_passphrase(tmp):
    p = tmp / "enc.key"
    run_openssl("pkey", "-in", str(_files(tmp)["key"]), "-aes256", "-passout", "pass:s3cret", "-out", str(p))
    return ["decode", str(p)], p, r"encrypted; give its passphrase with --passphrase-file"


@case
def pkcs8_encrypted_wrong_passphrase(tmp):
    p = tmp / "enc.key"
    run_openssl("pkey", "-in", str(_files(tmp)["key"]), "-aes256", "-passout", "pass:s3cret", "-out", str(p))
    return ["decode", "--passphrase-file", _pw(tmp, "wrong"), str(p)], p, r"wrong passphrase.*try again"


@case
def legacy_encrypted_without_passphrase(tmp):
    p = tmp / "legacy.key"
    run_openssl("rsa", "-in", str(_files(tmp)["key"]), "-traditional", "-aes256", "-passout", "pass:s3cret", "-out", str(p))
    assert b"Proc-Type: 4,ENCRYPTED" in p.read_bytes()
    return ["decode", str(p)], p, r"encrypted; give its passphrase with --passphrase-file"


@case
def legacy_encrypted_wrong_passphrase(tmp):
    p = tmp / "legacy.key"
    run_openssl("rsa", "-in", str(_files(tmp)["key"]), "-traditional", "-aes256", "-passout", "pass:s3cret", "-out", str(p))
    return ["decode", "--passphrase-file", _pw(tmp, "wrong"), str(p)], p, r"wrong passphrase.*try again"


@case
def empty_passphrase_file(tmp):
    p = tmp / "enc.key"
    run_openssl("pkey", "-in", str(_files(tmp)["key"]), "-aes256", "-passout", "pass:s3cret", "-out", str(p))
    pw = _write(tmp, "empty-pass.txt", b"\n")
    return ["decode", "--passphrase-file", str(pw), str(p)], pw, r"passphrase file is empty: write the passphrase"


@case
def hostile_key_derivation(tmp):
    src = Path(__file__).parent / "fuzz_corpus" / "pkcs8-pbkdf2-2e31-iterations.der"
    p = _write(tmp, "slow.der", src.read_bytes())
    return ["decode", "--passphrase-file", _pw(tmp, "pw"), str(p)], p, r"key-derivation rounds.*re-encrypt it"


@case
def utf16_without_bom(tmp):
    p = _write(tmp, "windows.crt", _files(tmp)["crt"].read_text().encode("utf-16-le"))
    return ["decode", str(p)], p, r"UTF-16 .*without a byte-order mark: convert it with iconv"


@case
def a_directory(tmp):
    d = tmp / "certs"
    d.mkdir()
    return ["decode", str(d)], d, r"is a directory: name a file"


@case
def a_fifo(tmp):
    p = tmp / "pipe.pem"
    os.mkfifo(p)  # nobody writes to it: a blocking read would hang forever
    return ["decode", str(p)], p, r"not a regular file.*copy the content to a file first"


@case
def a_device(tmp):
    p = Path("/dev/zero")  # endless: reading it "to the end" would never finish
    return ["decode", str(p)], p, r"not a regular file.*copy the content to a file first"


@case
def missing_file(tmp):
    p = tmp / "nope.crt"
    return ["decode", str(p)], p, r"no such file: check the path"


@case
def path_through_a_file(tmp):
    f = _files(tmp)["crt"]
    p = f / "server.crt"  # a path component that is a file, not a directory
    return ["decode", str(p)], p, r"not a directory.*check the path"


@case
def symlink_loop(tmp):
    a, b = tmp / "a.pem", tmp / "b.pem"
    a.symlink_to(b)
    b.symlink_to(a)
    return ["decode", str(a)], a, r"symbolic link loop: point the link at a real file"


@case
def broken_symlink(tmp):
    p = tmp / "current.crt"
    p.symlink_to(tmp / "gone.crt")
    return ["decode", str(p)], p, r"broken symbolic link: point it at the real file"


@case
def five_megabytes(tmp):
    p = _write(tmp, "big.crt", b"A" * (5 * 1024 * 1024))  # openssl x509 spends minutes on this one
    return ["decode", str(p)], p, r"far larger than any key.*is it the right file\?"


@case
def json_file(tmp):
    p = _write(tmp, "acme.json", b'{"account": {"key": "..."}}\n')
    return ["decode", str(p)], p, r"is JSON .*expected a PEM block or DER"


@case
def base64_without_header(tmp):
    body = b"".join(_files(tmp)["crt"].read_bytes().splitlines()[1:-1]) + b"\n"
    p = _write(tmp, "body.txt", body)
    return ["decode", str(p)], p, r"base64 text without BEGIN/END lines: add the -----BEGIN"


@case
def plain_text(tmp):
    p = _write(tmp, "notes.txt", b"remember to renew the certificate before friday\n")
    return ["decode", str(p)], p, r"text without a PEM block.*expected a key, CSR or certificate"


@case
def putty_key(tmp):
    p = _write(tmp, "server.ppk", b"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: x\n")
    return ["decode", str(p)], p, r"PuTTY key: export it as OpenSSH or PEM with puttygen"


@case
def crl_only(tmp):
    f = _files(tmp)
    ca = tmp / "ca"
    ca.mkdir()
    (ca / "index.txt").write_text("")
    conf = _write(tmp, "ca.cnf", f"[ca]\ndefault_ca=d\n[d]\ndatabase={ca}/index.txt\ndefault_md=sha256\n"
                                 f"default_crl_days=30\n".encode())
    p = tmp / "list.crl"
    run_openssl("ca", "-gencrl", "-config", str(conf), "-keyfile", str(f["key"]), "-cert", str(f["crt"]), "-out", str(p))
    return ["decode", str(p)], p, r"holds only X509 CRL: no key, CSR or certificate"


@case
def unknown_pem_label(tmp):
    p = _write(tmp, "dh.pem", _pem("FOO BAR", b"\x30\x03\x02\x01\x00"))
    return ["decode", str(p)], p, r"'FOO BAR' PEM block, which is not a key, CSR or certificate"


@case
def x25519_key(tmp):
    p = tmp / "x25519.key"
    run_openssl("genpkey", "-algorithm", "X25519", "-out", str(p))
    return ["decode", str(p)], p, r"cannot use.*expected RSA, EC, Ed25519"


@case
def modulus_of_an_ec_key(tmp):
    p = _files(tmp, "ec")["key"]
    return ["modulus", str(p)], p, r"only RSA keys have a modulus.*compare fingerprints instead"


@case
def two_csrs_for_one(tmp):
    p = _write(tmp, "both.csr", _files(tmp, "ec")["csr"].read_bytes() + _files(tmp)["csr"].read_bytes())
    return ["ca", "issue", str(p)], p, r"expected one: split the file or name the kind"


# ------------------------------------------------------------------------------------------ the test

def test_the_catalogue_is_large():
    """At least 25 kinds of bad input are catalogued."""
    assert len(CASES) >= 25


class _Hang(Exception):
    pass


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_exits_2_with_one_line_naming_the_file(name, tmp_path, capsys):
    """Bad input: exit 2, one stderr line `csrlearn: FILE: …` that says what to do, nothing on stdout, no hang."""
    argv, path, advice = CASES[name](tmp_path)
    capsys.readouterr()

    def fire(signum, frame):
        raise _Hang(f"csrlearn {' '.join(argv)} did not return within 20 s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(20)  # a hang guard (FIFOs, devices), not a speed test
    try:
        code = main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    assert code == 2, (code, out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"csrlearn: {path}: "), lines[0]
    assert re.search(advice, lines[0]), f"{lines[0]!r} lacks advice matching {advice!r}"
    assert "Traceback" not in err and out == ""


def test_unreadable_file_as_an_unprivileged_user(tmp_path):
    """A file its reader may not open (0600, owned by root, read by `nobody`) exits 2 with 'permission denied'.

    The tests run as root, whom chmod does not stop, so a child process drops to `nobody` before
    running the command (its imports are done first: root's Python lives where nobody may not read).
    """
    if os.geteuid() != 0:
        pytest.fail("this test needs root, to drop to nobody (the suite runs as root here)")
    import pwd
    nobody = pwd.getpwnam("nobody")
    d = Path(tempfile.mkdtemp(prefix="csrlearn-unreadable-"))
    try:
        d.chmod(0o755)
        key = d / "server.key"
        shutil.copy(openssl_key_csr_cert(tmp_path, "ec")["key"], key)
        key.chmod(0o600)
        code = (
            "import os, sys, json, shutil, gettext, textwrap, argparse\n"
            "import csrlearn.cli, csrlearn.files, csrlearn.describe, csrlearn.match, csrlearn.render\n"
            f"os.setgroups([]); os.setgid({nobody.pw_gid}); os.setuid({nobody.pw_uid})\n"
            "assert os.geteuid() != 0\n"
            f"sys.exit(csrlearn.cli.main(['decode', {str(key)!r}]))\n"
        )
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=d)
    finally:
        shutil.rmtree(d)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"csrlearn: {key}: permission denied: "), proc.stderr
    assert re.search(r"run as a user who may read it, or fix its mode", lines[0])


def test_file_that_grows_while_being_read(tmp_path, capsys, monkeypatch):
    """A file something keeps appending to while csrlearn reads it exits 2: 'is something still writing it?'."""
    import csrlearn.files as files
    p = tmp_path / "growing.log.pem"
    p.write_bytes(b"-----BEGIN CERTIFICATE-----\n" + b"QUFB" * 1000 + b"\n")
    real_read = os.read
    calls = []

    def read_while_writer_appends(fd, n):
        calls.append(n)
        with open(p, "ab") as w:  # the writer: another 256 KB every time we read
            w.write(b"QUFB" * 65536)
        return real_read(fd, n)
    monkeypatch.setattr(files.os, "read", read_while_writer_appends)
    code = main(["decode", str(p)])
    monkeypatch.undo()
    out, err = capsys.readouterr()
    assert calls, "the read path was not the one simulated"
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"csrlearn: {p}: grew past") and "is something still writing it?" in err


def test_file_replaced_while_being_read_gives_one_consistent_answer(tmp_path, capsys, monkeypatch):
    """A certificate swapped for a key mid-read (renewal scripts do this) yields either file or a clean error, never a mix."""
    import csrlearn.files as files
    f = _files(tmp_path)
    target = tmp_path / "live.pem"
    shutil.copy(f["crt"], target)
    real_read = os.read

    def read_then_swap(fd, n):
        data = real_read(fd, n)
        tmp = tmp_path / "new.pem"
        shutil.copy(f["key"], tmp)
        os.replace(tmp, target)  # the atomic-rename way: our open descriptor still sees the old file
        return data
    monkeypatch.setattr(files.os, "read", read_then_swap)
    code = main(["decode", "--json", str(target)])
    monkeypatch.undo()
    out, err = capsys.readouterr()
    assert code in (0, 2)
    if code == 0:
        import json
        assert [i["kind"] for i in json.loads(out)] in (["certificate"], ["private_key"])
    else:
        assert err.count("\n") == 1 and str(target) in err
