"""Secret hygiene: private keys never leave through a repr, a table, HTML, JSON, an error or a log,
and passphrases never travel on the command line or appear on the screen.

"Never appear" is checked against the key's actual secrets: every 5-byte run of each private
number (RSA d, p, q and the CRT values; the EC scalar; the Ed25519 seed), in hex with or without
separators and in decimal, and every line of the key's PEM body.
"""
from __future__ import annotations

import base64
import json
import os
import pty
import re
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import csrlearn as cl
from csrlearn.cli import build_parser, main
from csrlearn.errors import CsrLearnError
from conftest import openssl_key_csr_cert

ROOT = Path(__file__).resolve().parent.parent
KEY_TYPES = ("rsa", "ec", "ed25519")

# A PEM private-key block with its base64 body (a BEGIN line alone, as prose or a masked output, is fine).
PRIVATE_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\s*(?:[\w-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=]{40,}")


def secret_markers(key) -> tuple[list[str], list[str]]:
    """(hex windows, text fragments) that only someone holding ``key`` could print."""
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    numbers: list[int] = []
    raw: list[bytes] = []
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        numbers = [n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp]
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        numbers = [key.private_numbers().private_value]
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        raw = [key.private_bytes(S.Encoding.Raw, S.PrivateFormat.Raw, S.NoEncryption())]
    for v in numbers:
        raw.append(v.to_bytes((v.bit_length() + 7) // 8, "big"))
    hexes = [r[i:i + 5].hex().upper() for r in raw for i in range(0, len(r) - 4)]
    texts = [str(v)[:24] for v in numbers if v > 10**24]
    pem = key.private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()).decode()
    texts += [line[:32] for line in pem.splitlines()[1:-1] if len(line) >= 32]
    texts += [base64.b64encode(r).decode()[:16] for r in raw]
    return hexes, texts


def assert_no_secret(text: str, key, where: str) -> None:
    """Fail if ``text`` holds a PEM private-key block or any fragment of ``key``'s secrets."""
    hexes, texts = secret_markers(key)
    squeezed = re.sub(r"[\s:…-]", "", text).upper()
    problems = (["a private-key PEM block"] if PRIVATE_PEM.search(text) else []) + \
        [f"5 bytes of a private number at offset {squeezed.find(h) // 2} of the squeezed text"
         for h in hexes if h in squeezed][:1] + \
        [f"a fragment of the private key's PEM or numbers" for t in texts if t in text][:1]
    # the report names what leaked and where, never the secret itself (test logs are scanned too)
    assert not problems, f"{where}: {'; '.join(problems)}"


@pytest.fixture(params=KEY_TYPES)
def kit(request, tmp_path):
    """A key, CSR and certificate made by openssl, the loaded key object, and the files."""
    files = openssl_key_csr_cert(tmp_path, request.param)
    key = cl.load_one(files["key"]).obj
    return key, files


def _views(result) -> dict[str, str]:
    out = {"repr": repr(result), "str": str(result)}
    if hasattr(result, "_repr_html_"):
        out["html"] = result._repr_html_() or ""
    if hasattr(result, "to_dict"):
        out["json"] = json.dumps(result.to_dict(), default=str)
    return out


def test_markers_find_a_printed_key(kit):
    """The detector is not blind: the key's PEM, hex dump and decimal numbers are all caught."""
    key, files = kit
    with pytest.raises(AssertionError):
        assert_no_secret(files["key"].read_text(), key, "the key file itself")
    hexes, texts = secret_markers(key)
    with pytest.raises(AssertionError):
        assert_no_secret(" ".join(hexes[0][i:i + 2] for i in range(0, 10, 2)), key, "a hex dump")
    assert hexes and texts


def test_result_objects_hide_the_key(kit):
    """Item, KeyInfo, MatchReport, Proof, TrainingCA: repr, str, HTML and JSON never show key material."""
    key, files = kit
    items = cl.load(files["key"])
    results = {"item": items[0], "describe": cl.describe(items[0]), "describe(obj)": cl.describe(key),
               "match": cl.match([files["key"], files["csr"], files["crt"]]),
               "match(objects)": cl.match([key, cl.load_one(files["csr"]).obj]),
               "prove": cl.prove(files["key"], files["crt"]),
               "lint": cl.lint(files["csr"])}
    for name, result in results.items():
        for view, text in _views(result).items():
            assert_no_secret(text, key, f"{name} {view}")


def test_byte_map_of_a_key_masks_the_secrets(kit):
    """The ASN.1 byte map of a private key names the secret fields but shows none of their bytes."""
    key, files = kit
    bm = cl.byte_map(files["key"])
    for view, text in _views(bm).items():
        assert_no_secret(text, key, f"byte_map {view}")


def test_training_ca_repr_hides_its_key():
    """TrainingCA's repr, str and chain say nothing of its signing key."""
    ca = cl.TrainingCA()
    key = next(v for v in vars(ca).values() if hasattr(v, "private_bytes"))
    from cryptography.hazmat.primitives.serialization import Encoding
    for text in (repr(ca), str(ca), b"".join(c.public_bytes(Encoding.PEM) for c in ca.chain).decode()):
        assert_no_secret(text, key, "TrainingCA")


def test_error_messages_hide_the_key(kit, tmp_path):
    """Errors about a damaged key, a mismatched proof or a refused overwrite never quote the key."""
    key, files = kit
    pem = files["key"].read_text().splitlines()
    damaged = tmp_path / "damaged.key"
    pem_damaged = pem[:]
    pem_damaged[1] = pem_damaged[1][:10] + "!" + pem_damaged[1][11:]  # a stray character in the base64
    damaged.write_text("\n".join(pem_damaged) + "\n")
    truncated = tmp_path / "cut.key"
    truncated.write_text("\n".join(pem[:-1]) + "\n")
    messages = []
    for path in (damaged, truncated):
        with pytest.raises(CsrLearnError) as e:
            cl.load(path)
        messages.append(str(e.value))
    with pytest.raises(CsrLearnError) as e:
        cl.save_key(key, files["key"])
    messages.append(str(e.value))
    with pytest.raises(CsrLearnError) as e:
        cl.load_one(files["key"], kind="csr")
    messages.append(str(e.value))
    for m in messages:
        assert_no_secret(m, key, "error message")


def _run_cli(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_cli_outputs_never_show_a_private_key(kit, tmp_path, capsys):
    """A representative run of every command (text and --json) prints no private-key block or key material."""
    key, files = kit
    k, csr, crt = (str(files[x]) for x in ("key", "csr", "crt"))
    pw = tmp_path / "pw.txt"
    pw.write_text("correct horse battery\n")
    enc = tmp_path / "enc.key"
    cl.save_key(key, enc, passphrase="correct horse battery")
    runs = [
        ("decode", k), ("decode", "--json", k), ("decode", "--passphrase-file", str(pw), str(enc)),
        ("decode", "--json", "--passphrase-file", str(pw), str(enc)),
        ("fingerprint", k, crt), ("match", k, csr, crt), ("match", "--json", str(tmp_path)),
        ("prove", k, crt), ("lint", csr), ("lint", "--json", csr),
        ("asn1", k), ("asn1", "--json", k), ("decode", str(tmp_path / "missing.key")),
        ("new", "--cn", "leak.example.com", "-o", str(tmp_path)),
    ]
    if "RSA" in type(key).__name__:
        runs.append(("modulus", k))
    for argv in runs:
        code, output = _run_cli(capsys, *argv)
        assert code in (0, 1, 2), argv
        assert_no_secret(output, key, "csrlearn " + " ".join(argv[:2]))
    made = cl.load_one(tmp_path / "leak.example.com.key").obj
    code, output = _run_cli(capsys, "decode", str(tmp_path / "leak.example.com.key"))
    assert code == 0
    assert_no_secret(output, made, "decode of a key made by new")


def test_new_openssl_recipe_has_no_passphrase(capsys):
    """`new --openssl --encrypt` prints a recipe that prompts for the passphrase (no pass:… argument)."""
    code, output = _run_cli(capsys, "new", "--cn", "www.example.com", "--openssl", "--encrypt")
    assert code == 0 and "openssl req" in output
    assert "pass:" not in output and "-nodes" not in output


# ------------------------------------------------------------------------------------------ passphrases

def _options(parser) -> dict[str, list[str]]:
    """Every subcommand (space-joined path) -> its option strings."""
    import argparse
    out: dict[str, list[str]] = {}

    def walk(p, path):
        out[path] = [s for a in p._actions for s in a.option_strings]
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sp in a.choices.items():
                    walk(sp, f"{path} {name}".strip())
    walk(parser, "")
    return out


def test_no_option_takes_a_passphrase_value():
    """No command has an option that takes the passphrase itself: only --passphrase-file (a path)."""
    for command, options in _options(build_parser()).items():
        for opt in options:
            if re.search(r"pass|pw|secret|password", opt):
                assert opt == "--passphrase-file", f"csrlearn {command} {opt}"


@pytest.mark.parametrize("command", sorted(c for c, o in _options(build_parser()).items() if "--passphrase-file" in o))
def test_passphrase_abbreviations_are_refused(command, capsys, tmp_path):
    """`--passphrase VALUE` (argparse would take it as an abbreviation) is refused and the value never echoed."""
    argv = command.split() + ["--passphrase", "hunter2-secret", str(tmp_path / "x.pem")]
    if command == "new":
        argv = ["new", "--cn", "www.example.com", "--passphrase", "hunter2-secret", "-o", str(tmp_path)]
    elif command == "prove":
        argv += [str(tmp_path / "y.pem")]
    code, output = _run_cli(capsys, *argv)
    assert code == 2 and "hunter2-secret" not in output
    assert not (tmp_path / "hunter2-secret").exists()


def test_wrong_passphrase_is_not_repeated(tmp_path, capsys):
    """A wrong passphrase's error message does not quote the passphrase that was tried."""
    key = cl.generate_key("ec")
    cl.save_key(key, tmp_path / "enc.key", passphrase="the-right-one")
    pw = tmp_path / "pw.txt"
    pw.write_text("tried-and-wrong-42\n")
    code, output = _run_cli(capsys, "decode", "--passphrase-file", str(pw), str(tmp_path / "enc.key"))
    assert code == 2 and "wrong passphrase" in output and "tried-and-wrong-42" not in output


def _in_a_terminal(argv: list[str], answers: list[bytes], cwd: Path, timeout: float = 60) -> tuple[int, bytes]:
    """Run ``python -m csrlearn argv`` with a pseudo-terminal as its controlling terminal, typing ``answers``
    at each ``Passphrase``/``Again`` prompt; returns the exit code and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: stdin, stdout and stderr are the terminal
        os.chdir(cwd)
        os.execv(sys.executable, [sys.executable, "-m", "csrlearn", *argv])
    shown, pending, deadline = b"", list(answers), time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if pending and re.search(rb"(Passphrase|Again)[^\n]*: $", shown):
                os.write(fd, pending.pop(0) + b"\n")
                shown += b"<typed>"
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown


def test_passphrase_prompt_does_not_echo(tmp_path):
    """At a terminal, `decode` of an encrypted key prompts; what is typed is not echoed, and the key decodes."""
    key = cl.generate_key("ec")
    cl.save_key(key, tmp_path / "enc.key", passphrase="typed-not-shown-7")
    code, shown = _in_a_terminal(["decode", "enc.key"], [b"typed-not-shown-7"], tmp_path)
    assert b"Passphrase for" in shown and b"<typed>" in shown
    assert code == 0, shown
    assert b"typed-not-shown-7" not in shown
    assert_no_secret(shown.decode(errors="replace"), key, "terminal session")


def test_new_encrypt_prompts_twice_without_echo(tmp_path):
    """`new --encrypt` at a terminal asks twice, echoes neither, and writes a key only that passphrase opens."""
    code, shown = _in_a_terminal(["new", "--cn", "www.example.com", "--encrypt", "--key-type", "ec"],
                                 [b"typed-twice-9", b"typed-twice-9"], tmp_path)
    assert code == 0, shown
    assert shown.count(b"<typed>") == 2 and b"typed-twice-9" not in shown
    assert cl.load_one(tmp_path / "www.example.com.key", passphrase="typed-twice-9").encrypted
    with pytest.raises(CsrLearnError):
        cl.load(tmp_path / "www.example.com.key")


def test_passphrase_never_in_the_process_arguments(tmp_path):
    """While `new --encrypt --passphrase-file` runs, its /proc/PID/cmdline holds the file name, not the passphrase."""
    pw = tmp_path / "pw.txt"
    pw.write_text("only-in-the-file-3\n")
    ready = tmp_path / "ready"
    code = (
        "import sys, time, csrlearn.files as f\n"
        "real = f.write_group\n"
        f"def slow(*a, **k):\n    open({str(ready)!r}, 'w').close(); time.sleep(2); return real(*a, **k)\n"
        "f.write_group = slow\n"
        "from csrlearn.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, "new", "--cn", "www.example.com", "--key-type", "ec",
                             "--encrypt", "--passphrase-file", str(pw), "-o", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert str(pw).encode() in cmdline and b"only-in-the-file-3" not in cmdline
    assert b"only-in-the-file-3" not in out + err


# ------------------------------------------------------------------------------------------ committed files

def _tracked(pattern: str) -> list[Path]:
    proc = subprocess.run(["git", "ls-files", pattern], cwd=ROOT, capture_output=True, text=True, check=True)
    return [ROOT / p for p in proc.stdout.split()]


def _notebook_texts(path: Path) -> list[tuple[str, str]]:
    nb = json.loads(path.read_text())
    out = []
    for i, cell in enumerate(nb.get("cells", [])):
        src = cell.get("source", "")
        out.append((f"cell {i} source", "".join(src) if isinstance(src, list) else src))
        for o in cell.get("outputs", []):
            texts = [o.get("text", "")] + list(o.get("data", {}).values())
            for t in texts:
                t = "".join(t) if isinstance(t, list) else t
                if isinstance(t, str):
                    out.append((f"cell {i} output", t))
    return out


def test_committed_notebooks_hold_no_private_key():
    """No committed notebook (sources or stored outputs) holds a private-key PEM block."""
    notebooks = _tracked("notebooks/*.ipynb")
    assert notebooks, "no committed notebooks found"
    for nb in notebooks:
        for where, text in _notebook_texts(nb):
            m = PRIVATE_PEM.search(text)
            assert m is None, f"{nb.name} {where}: {m.group(0)[:40]}…"


def test_the_notebook_scanner_finds_a_key():
    """The scanner is not blind: a stored output with a real key block is caught, a masked one is not."""
    from cryptography.hazmat.primitives import serialization as S
    pem = cl.generate_key("ec").private_bytes(S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()).decode()
    assert PRIVATE_PEM.search(pem)
    assert not PRIVATE_PEM.search("-----BEGIN PRIVATE KEY-----\n[… 5 lines hidden …]\n-----END PRIVATE KEY-----\n")
    assert not PRIVATE_PEM.search("Three files: PKCS#8 PEM (`BEGIN PRIVATE KEY`) and `-----BEGIN RSA PRIVATE KEY-----`")


def test_every_test_log_is_scanned_for_private_keys(tmp_path):
    """conftest's hook fails a test that prints a private key (stdout, or logging) and keeps the key out of the report."""
    import shutil
    shutil.copy(Path(__file__).parent / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_leaky.py").write_text(textwrap.dedent('''
        import logging
        from cryptography.hazmat.primitives import serialization as S
        from cryptography.hazmat.primitives.asymmetric import ec
        PEM = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            S.Encoding.PEM, S.PrivateFormat.PKCS8, S.NoEncryption()).decode()

        def test_prints_a_key():
            print(PEM)

        def test_logs_a_key():
            logging.getLogger("x").warning(PEM)

        def test_prints_a_masked_key():
            print(PEM.splitlines()[0] + "\\n[… hidden …]\\n" + PEM.splitlines()[-1])
        '''))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "2 failed, 1 passed" in proc.stdout, proc.stdout[-2000:]
    assert proc.stdout.count("a private-key PEM block appeared") >= 2
    assert not PRIVATE_PEM.search(proc.stdout + proc.stderr), "the key leaked into the report"
