"""Helpers for the course notebooks: sample files, a scratch workspace, a set-up check and exercise checks.

Every notebook starts with one set-up cell::

    import csrlearn as cl
    from csrlearn import course
    course.workspace()        # a fresh temporary folder with the sample files, deleted when the kernel stops
    course.setup_check()      # library and openssl versions

The samples (``csrlearn/samples/sample-*``) were made once with the openssl CLI by
``csrlearn/samples/make_samples.sh``; they are training material, published on purpose, so every
learner sees the same moduli and fingerprints. Nothing here imports IPython or ipywidgets.
"""
from __future__ import annotations

import atexit
import hashlib
import os
import platform
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import CsrLearnError, PassphraseError

__all__ = ["samples", "sample_names", "workspace", "Workspace", "setup_check", "SetupReport", "peek",
           "check", "CheckResult", "exercises", "run_solutions", "solution_source", "SolutionRun",
           "messy_folder", "SAMPLE_PASSPHRASE", "NOTEBOOKS"]

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
# The passphrase of sample-rsa-encrypted.key: training material, so it is no secret.
SAMPLE_PASSPHRASE = "correct horse"
NOTEBOOKS = {
    "00": "00-start-here.ipynb", "01": "01-generate-a-csr.ipynb", "02": "02-decode-a-csr.ipynb",
    "03": "03-moduli.ipynb", "04": "04-matching.ipynb", "05": "05-runbook.ipynb",
}

_HOME: Path | None = None  # the folder the notebook was started in (where solutions/ lives)


# ---------------------------------------------------------------------------------------------- samples

def samples(name: str | None = None) -> Path:
    """The folder of sample files, or one sample by name (``samples("sample-rsa.csr")``)."""
    if name is None:
        return SAMPLES_DIR
    path = SAMPLES_DIR / name
    if not name.startswith("sample-") or not path.is_file():
        raise CsrLearnError(f"{name}: no such sample; the samples are: {', '.join(sample_names())}")
    return path


def sample_names() -> list[str]:
    """The sample file names, sorted."""
    return sorted(p.name for p in SAMPLES_DIR.glob("sample-*") if p.is_file())


def _copy_samples(dest: Path) -> None:
    for name in sample_names():
        target = dest / name
        shutil.copyfile(SAMPLES_DIR / name, target)
        # git does not keep file modes: give the copied keys the 0600 a real key file has
        os.chmod(target, 0o600 if name.endswith((".key", ".der")) else 0o644)


# -------------------------------------------------------------------------------------------- workspace

@dataclass(frozen=True)
class Workspace:
    """The temporary folder a notebook works in; its text names no path, so it reads the same everywhere."""

    path: Path
    files: tuple[str, ...]

    def __str__(self) -> str:
        shown = [f for f in ("sample-rsa.key", "sample-rsa.csr", "sample-rsa.crt") if f in self.files]
        more = len(self.files) - len(shown)
        listing = ", ".join(shown) + (f" and {more} more (!ls lists them)" if more else "")
        return (f"Working in a fresh temporary folder (deleted when the kernel stops) with "
                f"{len(self.files)} sample files: {listing or '(none)'}")

    __repr__ = __str__


def workspace(*, copy_samples: bool = True) -> Workspace:
    """Make a fresh temporary folder, copy the samples into it and make it the working directory.

    The notebook therefore never writes into the repository, and ``openssl`` commands can name the
    samples by their short names (``sample-rsa.csr``). The folder is removed when the kernel stops.
    """
    global _HOME
    if _HOME is None:
        _HOME = Path.cwd()
    _sweep_stale_workspaces()
    path = Path(tempfile.mkdtemp(prefix=f"csrlearn-course-{os.getpid()}-"))
    atexit.register(shutil.rmtree, path, True)
    if copy_samples:
        _copy_samples(path)
    os.chdir(path)
    _put_commands_on_path()
    return Workspace(path, tuple(sorted(os.listdir(path))))


def _sweep_stale_workspaces() -> None:
    """Remove this user's workspaces whose kernel is gone (a killed kernel runs no exit handlers)."""
    for old in Path(tempfile.gettempdir()).glob("csrlearn-course-*-*"):
        pid = old.name.split("-")[2]
        try:
            if not pid.isdigit() or old.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except OSError:  # not ours to judge (permissions), or already gone
            continue


def _put_commands_on_path() -> None:
    """Let ``!csrlearn …`` in a notebook run the command of this kernel's environment (its venv)."""
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if (Path(bindir) / "csrlearn").exists() and path.split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + path


def messy_folder(dest: str | os.PathLike = "incoming") -> Path:
    """A folder as one finds it on an old server: keys, CSRs, certificates and chains under vague names.

    Made from the samples, so the answer is always the same: the old and the new www key pairs, the
    api key with its full chain, a mail certificate whose key is lost, an Ed25519 key and CSR still
    waiting for their certificate, and a notes file that holds nothing to match.
    """
    root = Path(dest)
    if root.exists():
        raise CsrLearnError(f"{root}: already exists; choose another folder name")
    layout = {
        "www.example.com.key": ["sample-rsa.key"], "www.example.com.csr": ["sample-rsa.csr"],
        "www_example_com.crt": ["sample-rsa.crt"],
        "2026/www.example.com.key": ["sample-rsa-new.key"], "2026/request.csr": ["sample-rsa-new.csr"],
        "2026/certificate.pem": ["sample-rsa-renewed.crt"],
        "api/privkey.pem": ["sample-ec.key"], "api/fullchain.pem": ["sample-ec.crt", "sample-ca-intermediate.crt"],
        "mail.crt": ["sample-ec2.crt"],
        "new-ed25519.key": ["sample-ed25519.key"], "new-ed25519.csr": ["sample-ed25519.csr"],
    }
    for rel, parts in layout.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"".join((SAMPLES_DIR / p).read_bytes() for p in parts))
        if target.suffix == ".key" or rel.endswith("privkey.pem"):
            os.chmod(target, 0o600)
    (root / "NOTES.txt").write_text("renewed www in 2026 - new key in 2026/. mail key: ask Bob?\n")
    return root


# ---------------------------------------------------------------------------------------------- set-up

@dataclass(frozen=True)
class SetupReport:
    """What the course runs on: versions of Python, the libraries and the openssl command."""

    rows: tuple[tuple[str, str, bool], ...]  # (component, version or problem, ok)

    @property
    def ok(self) -> bool:
        return all(ok for _, _, ok in self.rows)

    def __str__(self) -> str:
        width = max(len(name) for name, _, _ in self.rows)
        lines = [f"{'ok ' if ok else 'NO '} {name.ljust(width)}  {value}" for name, value, ok in self.rows]
        head = "Set-up check: everything the course needs is here" if self.ok else \
            "Set-up check: something is missing (see the NO lines)"
        return "\n".join([head, *lines])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from .render import esc, html_table
        rows = [(name, f"<span class='{'csrlearn-good' if ok else 'csrlearn-bad'}'>{'✔' if ok else '✘'}</span> "
                 f"{esc(value)}") for name, value, ok in self.rows]
        return html_table(rows, title=str(self).splitlines()[0], raw=True)


def _version(dist: str) -> tuple[str, bool]:
    try:
        return metadata.version(dist), True
    except metadata.PackageNotFoundError:
        return "not installed", False


def _command(*argv: str) -> tuple[str, bool]:
    exe = shutil.which(argv[0])
    if exe is None:
        return f"not found: install it (apt-get install {'diffutils' if argv[0] == 'diff3' else argv[0]})", False
    out = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=30)
    return (out.stdout or out.stderr).strip().splitlines()[0], out.returncode == 0


def setup_check() -> SetupReport:
    """Python, csrlearn, cryptography (and the OpenSSL inside it), the openssl and diff3 commands."""
    from cryptography.hazmat.backends.openssl.backend import backend

    from . import __version__
    rows = [("Python", platform.python_version(), True), ("csrlearn", __version__, True)]
    crypto, ok = _version("cryptography")
    rows.append(("cryptography", f"{crypto} (with {backend.openssl_version_text()})", ok))
    rows.append(("openssl command", *_command("openssl", "version")))
    rows.append(("diff3 command", *_command("diff3", "--version")))
    for dist in ("ipywidgets", "jupyterlab"):
        value, ok = _version(dist)
        rows.append((dist, value if ok else "not installed (only the widget cells need it)", True))
    return SetupReport(tuple(rows))


# ------------------------------------------------------------------------------------------------- peek

class _Text(str):
    """A string that a notebook displays as plain lines (no quotes, no \\n escapes)."""

    def __repr__(self) -> str:
        return str(self)


_PEM_RE = re.compile(r"(-----BEGIN ([A-Z0-9 ]+)-----\n)(.*?)(-----END \2-----)", re.S)


def peek(path: str | os.PathLike) -> str:
    """Show a file the way ``cat`` would — except that the body of any private key is hidden.

    Certificates and CSRs are public: they are shown whole. A private key shows only its BEGIN and
    END lines and how many lines of secret were left out; a binary (DER) file shows its size.
    """
    data = Path(path).read_bytes()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return _Text(f"{path}: binary (DER) file, {len(data)} bytes — not shown")

    def hide(m: re.Match[str]) -> str:
        if "PRIVATE KEY" not in m.group(2):
            return m.group(0)
        lines = len(m.group(3).strip().splitlines())
        return f"{m.group(1)}[… {lines} lines of the private key hidden: they never leave your machine …]\n{m.group(4)}"

    shown = _PEM_RE.sub(hide, text.replace("\r\n", "\n"))
    if "PRIVATE KEY" in text and shown == text:  # a key csrlearn could not parse: hide it all
        return _Text(f"{path}: looks like a private key — not shown")
    return _Text(shown.rstrip("\n"))


# -------------------------------------------------------------------------------------------- exercises

@dataclass(frozen=True)
class CheckResult:
    """The answer to "is my exercise right?", in one line."""

    exercise: str
    ok: bool
    message: str

    def __str__(self) -> str:
        return f"{'✔' if self.ok else '✘'} Exercise {self.exercise}: {'right' if self.ok else 'not yet'} — {self.message}"

    __repr__ = __str__

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class _Exercise:
    number: str
    title: str
    checker: Callable[[Any], str]  # returns the success message; raises _NotYet with a hint


class _NotYet(Exception):
    pass


_EXERCISES: dict[str, _Exercise] = {}
_RECORDER: list[CheckResult] | None = None


def _exercise(number: str, title: str) -> Callable[[Callable[[Any], str]], Callable[[Any], str]]:
    def register(fn: Callable[[Any], str]) -> Callable[[Any], str]:
        _EXERCISES[number] = _Exercise(number, title, fn)
        return fn
    return register


def exercises(notebook: str | None = None) -> list[str]:
    """The exercise numbers (``"1.1"``…), all of them or those of one notebook (``"01"``)."""
    nums = sorted(_EXERCISES, key=lambda n: tuple(int(x) for x in n.split(".")))
    if notebook is None:
        return nums
    return [n for n in nums if n.split(".")[0] == str(int(notebook))]


def check(exercise: str, answer: Any) -> CheckResult:
    """Tell the learner whether ``answer`` solves ``exercise`` — and if not, what to look at."""
    ex = _EXERCISES.get(str(exercise))
    if ex is None:
        raise CsrLearnError(f"no exercise {exercise!r}; the exercises are {', '.join(exercises())}")
    if answer is None or answer is ...:
        result = CheckResult(ex.number, False, f"no answer yet: {ex.title}")
    else:
        try:
            result = CheckResult(ex.number, True, ex.checker(answer))
        except _NotYet as e:
            result = CheckResult(ex.number, False, str(e))
        except CsrLearnError as e:
            result = CheckResult(ex.number, False, f"csrlearn could not use the answer: {e}")
    if _RECORDER is not None:
        _RECORDER.append(result)
    return result


def _need(condition: Any, hint: str) -> None:
    if not condition:
        raise _NotYet(hint)


def _obj(answer: Any, kind: str) -> Any:
    """A cryptography object from an object, an Item or a path."""
    from .describe import kind_of
    from .files import Item, load_one
    if isinstance(answer, (str, os.PathLike)):
        _need(Path(answer).is_file(), f"there is no file {answer} in the working folder")
        answer = load_one(answer, kind=kind)
    if isinstance(answer, Item):
        answer = answer.obj
    try:
        actual = kind_of(answer)
    except CsrLearnError:
        actual = type(answer).__name__
    _need(actual == kind, f"expected a {kind.replace('_', ' ')}, but the answer is a {actual.replace('_', ' ')}")
    return answer


def _names(answer: Any) -> set[str]:
    if isinstance(answer, (str, os.PathLike)):
        answer = [answer]
    return {Path(a).name for a in answer}


def _files(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "(none)"


@_exercise("0.1", "which of these files may you send to the CA (or anyone)?")
def _check_0_1(answer: Any) -> str:
    from .files import load
    candidates = ["sample-rsa.key", "sample-rsa.csr", "sample-rsa.crt", "sample-rsa-encrypted.key",
                  "sample-fullchain.pem"]
    public = {n for n in candidates
              if all(i.kind != "private_key" for i in load(samples(n), passphrase=SAMPLE_PASSPHRASE))}
    given = _names(answer)
    leaked = given - public
    _need(not leaked, f"{_files(leaked)} hold(s) a private key: a key never leaves your machine, "
                      f"not even encrypted")
    _need(given == public, f"some public files are missing: {_files(public - given)} can be shared too")
    return f"{_files(public)} are public; every .key file stays at home"


@_exercise("0.2", "what kind of key is in sample-ec.key? (a string such as 'RSA 2048')")
def _check_0_2(answer: Any) -> str:
    from .files import load_one
    from .keys import key_params
    truth = str(key_params(load_one(samples("sample-ec.key"))))
    _need(isinstance(answer, str), "answer with a string, e.g. 'RSA 2048'")
    _need(answer.strip().lower() == truth.lower(), "not that kind: look at what cl.describe('sample-ec.key') says")
    return f"sample-ec.key holds an {truth} key"


@_exercise("1.1", "an EC P-256 CSR for shop.example.org with SANs shop.example.org and example.org, C=DE")
def _check_1_1(answer: Any) -> str:
    from .describe import describe
    csr = _obj(answer, "csr")
    info = describe(csr)
    _need(info.signature_valid, "the CSR's signature does not verify")
    _need(info.key.algorithm == "EC" and info.key.curve == "P-256", f"the key is {info.key}, not EC P-256")
    sans = {f"{s['type']}:{s['value']}" for s in info.sans}
    want = {"DNS:shop.example.org", "DNS:example.org"}
    _need(sans == want, f"the SANs are {_files(sans)}; expected {_files(want)}")
    _need("CN=shop.example.org" in info.subject.split(","), f"the subject is {info.subject!r}: set CN=shop.example.org")
    _need("C=DE" in info.subject.split(","), f"the subject is {info.subject!r}: set the country C=DE")
    _need("sha256" in info.signature_algorithm.lower(), f"signed with {info.signature_algorithm}: use SHA-256")
    return f"a valid {info.key} CSR for {info.subject} with {len(sans)} SANs"


@_exercise("1.2", "save a private key encrypted with a passphrase as shop.key (answer: the path)")
def _check_1_2(answer: Any) -> str:
    from .files import load_one
    path = Path(answer)
    _need(path.is_file(), f"there is no file {path} in the working folder")
    mode = path.stat().st_mode & 0o777
    _need(mode == 0o600, f"{path} has mode {mode:04o}: a key file must be 0600 (only you may read it)")
    try:
        load_one(path)
    except PassphraseError:
        return f"{path} is encrypted and only you can read it (0600)"
    raise _NotYet(f"{path} can be read without a passphrase: save it with passphrase=…")


@_exercise("2.1", "which SANs does sample-ec.csr request? (a list such as ['DNS:a.example'])")
def _check_2_1(answer: Any) -> str:
    from .describe import describe
    truth = {f"{s['type']}:{s['value']}" for s in describe(samples("sample-ec.csr")).sans}
    given = {str(a) for a in ([answer] if isinstance(answer, str) else answer)}
    _need(given == truth, f"not quite: {len(truth)} SANs, written TYPE:value — decode the CSR and read the SANs row")
    return f"sample-ec.csr asks for {_files(truth)}"


@_exercise("2.2", "change ONE byte of the signature of sample-rsa.csr (DER bytes) so verification fails")
def _check_2_2(answer: Any) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    good = x509.load_pem_x509_csr(samples("sample-rsa.csr").read_bytes()).public_bytes(serialization.Encoding.DER)
    _need(isinstance(answer, (bytes, bytearray)), "answer with the tampered DER bytes")
    _need(len(answer) == len(good), f"the answer has {len(answer)} bytes, the CSR {len(good)}: change a byte, "
                                    f"do not add or remove one")
    diff = [i for i, (a, b) in enumerate(zip(answer, good)) if a != b]
    _need(len(diff) == 1, f"{len(diff)} bytes differ: change exactly one")
    _need(diff[0] >= len(good) - 256, f"byte {diff[0]} is not in the signature (the last 256 bytes)")
    _need(not x509.load_der_x509_csr(bytes(answer)).is_signature_valid, "the signature still verifies?")
    return f"byte {diff[0]} changed: the CSR still parses but its signature no longer verifies"


@_exercise("3.1", "the openssl modulus line of the toy key p = 11, q = 13 (a string 'Modulus=…')")
def _check_3_1(answer: Any) -> str:
    truth = f"Modulus={11 * 13:X}"
    _need(isinstance(answer, str) and answer.startswith("Modulus="), "answer with a string that starts 'Modulus='")
    _need(answer.strip() != f"Modulus={11 * 13}", "that is n in decimal: openssl prints hexadecimal")
    _need(answer.strip() == truth, "not that number: n = p·q, written in uppercase hexadecimal")
    return f"n = 11 × 13 = 143 = 0x8F, so openssl would print {truth}"


@_exercise("3.2", "the md5-pipe digest of sample-rsa-renewed.crt, computed with hashlib (a hex string)")
def _check_3_2(answer: Any) -> str:
    from .files import load_one
    from .match import modulus_md5, openssl_modulus_line
    cert = load_one(samples("sample-rsa-renewed.crt"))
    truth = modulus_md5(cert)
    line = openssl_modulus_line(cert)
    _need(isinstance(answer, str), "answer with the hex digest as a string")
    _need(answer.strip().lower() != hashlib.md5(line.encode()).hexdigest(),
          "close: that is the md5 of the line WITHOUT its newline; the pipe hashes the newline too")
    _need(answer.strip().lower() == truth, "not that digest: hash the exact line openssl prints, newline included")
    return f"MD5(stdin)= {truth}"


@_exercise("4.1", "which of the four given files belong to the same key pair as sample-rsa-new.key?")
def _check_4_1(answer: Any) -> str:
    from .match import fingerprint
    from .files import load_one
    candidates = ["sample-rsa.crt", "sample-rsa-renewed.crt", "sample-rsa-new.csr", "sample-rsa.csr"]
    fp = fingerprint(load_one(samples("sample-rsa-new.key")))
    truth = {n for n in candidates if fingerprint(load_one(samples(n))) == fp}
    given = _names(answer) - {"sample-rsa-new.key"}
    _need(not (given - truth), f"{_files(given - truth)} belong(s) to another key")
    _need(given == truth, f"one more file belongs to the new key: compare fingerprints of all four")
    return f"{_files(truth)} share the public key of sample-rsa-new.key"


@_exercise("4.2", "repair sample-chain-wrong-order.pem: write fixed-chain.pem, server certificate first")
def _check_4_2(answer: Any) -> str:
    return _check_chain(answer, "sample-rsa.key")


@_exercise("5.1", "which certificate in incoming/ has no private key anywhere in the folder?")
def _check_5_1(answer: Any) -> str:
    _need(isinstance(answer, (str, os.PathLike)), "answer with the file's path, e.g. 'incoming/x.crt'")
    from .match import match
    root = Path(Path(answer).parts[0]) if Path(answer).parts else Path("incoming")
    _need(root.is_dir(), "make the folder first: course.messy_folder('incoming')")
    report = match([str(root)])
    orphans = {Path(e.file).as_posix() for g in report.groups for e in g.items
               if e.kind == "certificate" and not any(i.kind == "private_key" for i in g.items) and not e.is_ca}
    _need(Path(answer).as_posix() in orphans, "that file's key is in the folder: look for a group without a private key")
    return f"{Path(answer).as_posix()} has no key here: find the key, or renew it with a new key"


@_exercise("5.2", "build the full chain for sample-rsa-renewed.crt as renewed-fullchain.pem")
def _check_5_2(answer: Any) -> str:
    return _check_chain(answer, "sample-rsa-new.key")


def _check_chain(answer: Any, key_name: str) -> str:
    from cryptography.exceptions import InvalidSignature
    from .files import load, load_one
    from .match import fingerprint
    path = Path(answer)
    _need(path.is_file(), f"there is no file {path} in the working folder")
    certs = [i.obj for i in load(path) if i.kind == "certificate"]
    _need(len(certs) == 2, f"{path} holds {len(certs)} certificate(s): a full chain here has two "
                           f"(server certificate, then the intermediate)")
    _need(fingerprint(certs[0]) == fingerprint(load_one(samples(key_name))),
          f"the first certificate does not match {key_name}: the server certificate goes first")
    _need(certs[0].issuer == certs[1].subject, "the second certificate is not the issuer of the first")
    try:
        certs[0].verify_directly_issued_by(certs[1])
    except (ValueError, TypeError, InvalidSignature):
        raise _NotYet("the second certificate did not sign the first: is it the right intermediate?") from None
    return f"{path}: server certificate (matches {key_name}), then the intermediate that signed it"


# -------------------------------------------------------------------------------------------- solutions

@dataclass(frozen=True)
class SolutionRun:
    """The checks a solutions file made when it ran."""

    notebook: str
    results: tuple[CheckResult, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    def __str__(self) -> str:
        head = f"Solutions to notebook {self.notebook}: " + (
            "all correct" if self.ok else "SOME CHECKS FAILED")
        return "\n".join([head, *map(str, self.results)])

    __repr__ = __str__


def _solutions_file(notebook: str) -> Path:
    nb = f"{int(notebook):02d}"
    places = [p / "solutions" / f"{nb}.py" for p in (_HOME, Path(__file__).resolve().parents[1] / "notebooks") if p]
    for p in places:
        if p.is_file():
            return p
    raise CsrLearnError(f"no solutions file for notebook {nb}: looked in {', '.join(map(str, places))}")


def solution_source(notebook: str) -> str:
    """The source of a notebook's solutions, to read once you have tried."""
    return _Text(_solutions_file(notebook).read_text())


def run_solutions(notebook: str) -> SolutionRun:
    """Run a notebook's solutions file in its own temporary folder and collect its checks.

    CI runs it too (the last cell of every notebook, and ``tests/test_course.py``), so a solution
    that stops working fails the build.
    """
    global _RECORDER
    path = _solutions_file(notebook)
    here = Path.cwd()
    scratch = Path(tempfile.mkdtemp(prefix="csrlearn-solutions-"))
    _copy_samples(scratch)
    _RECORDER, recorded = [], []
    try:
        os.chdir(scratch)
        runpy.run_path(str(path), run_name="__solutions__")
    finally:
        recorded, _RECORDER = _RECORDER or [], None
        os.chdir(here)
        shutil.rmtree(scratch, ignore_errors=True)
    return SolutionRun(f"{int(notebook):02d}", tuple(recorded))
