"""Shared fixtures: the real openssl as referee, and small helpers to make files with it."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def _openssl_path() -> str:
    path = shutil.which("openssl")
    if path is None:  # a missing referee is a failure, never a skip
        pytest.fail("openssl is not installed: the interop tests need it (apt-get install openssl)")
    return path


def run_openssl(*args: str, input: bytes | None = None, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real openssl CLI; fail the test with its stderr if it fails."""
    proc = subprocess.run([_openssl_path(), *args], input=input, cwd=cwd, capture_output=True, timeout=60)
    if check and proc.returncode != 0:
        pytest.fail(f"openssl {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
    return proc


@pytest.fixture
def openssl():
    """The openssl runner: ``openssl("req", "-in", path, ...)`` -> CompletedProcess."""
    return run_openssl


# Key generation arguments for openssl, per key type csrlearn supports.
OPENSSL_NEWKEY = {
    "rsa": ["-newkey", "rsa:2048"],
    "ec": ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "ed25519": ["-newkey", "ed25519"],
}
KEY_TYPES = ("rsa", "ec", "ed25519")


def openssl_key_csr_cert(tmp: Path, kind: str, name: str = "site", cn: str = "www.example.com") -> dict[str, Path]:
    """Make KEY, CSR and a self-signed certificate of one key type with the openssl CLI alone."""
    key, csr, crt = tmp / f"{name}.key", tmp / f"{name}.csr", tmp / f"{name}.crt"
    run_openssl("req", *OPENSSL_NEWKEY[kind], "-nodes", "-keyout", str(key), "-out", str(csr),
                "-subj", f"/C=US/O=Acme/CN={cn}", "-addext", f"subjectAltName=DNS:{cn}")
    run_openssl("req", "-x509", "-key", str(key), "-in", str(csr), "-out", str(crt), "-days", "30")
    return {"key": key, "csr": csr, "crt": crt}


# Secret hygiene: no test may print a private key. Every test's captured stdout, stderr and log,
# and its failure report, are scanned for a PEM private-key block with its base64 body; a hit fails
# the test and replaces its report (so the key is not repeated in the log either).
PRIVATE_PEM_IN_LOG = __import__("re").compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\s*(?:[\w-]+:[^\n]*\n\s*)*[A-Za-z0-9+/=]{40,}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    texts = [content for _, content in report.sections]
    if report.failed:
        texts.append(report.longreprtext)
    if any(PRIVATE_PEM_IN_LOG.search(t) for t in texts):
        report.outcome = "failed"
        report.longrepr = (f"{item.nodeid} ({report.when}): a private-key PEM block appeared in this test's output, "
                           f"log or failure report: never print keys (mask them as the notebooks do)")
        report.sections = [(title, "[hidden: it held a private key]") for title, _ in report.sections]
