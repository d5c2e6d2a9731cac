"""Hostile input: ``load`` on random bytes and on damaged copies of real PEM, DER and PKCS#12 files.

The property: every input yields items or a ``CsrLearnError`` — never another exception, never a
hang — and every item it yields can be described, printed, rendered, serialised and matched (a
certificate whose damaged subject only fails when first displayed is a crash waiting for the user).
Inputs that once failed live in ``tests/fuzz_corpus/`` (``corpus.json`` says what broke) and are
replayed on every run.

Hang guard: each call runs under a SIGALRM watchdog of ``WATCHDOG_S`` seconds. It is generous on
purpose (the machine is shared); it catches hangs, it does not measure speed.
"""
from __future__ import annotations

import contextlib
import functools
import io
import json
import signal
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csrlearn
from csrlearn.cli import main
from csrlearn.errors import CsrLearnError
from csrlearn.files import MAX_FILE_SIZE

CORPUS = Path(__file__).parent / "fuzz_corpus"
SAMPLES = Path(csrlearn.__file__).parent / "samples"
WATCHDOG_S = 10
PASSPHRASES = (None, b"pw", b"wrong", b"correct horse")

# derandomize: the same inputs every run (a failure is reproducible, and CI is not flaky); the
# example counts keep the whole module under about a minute on two cores.
FUZZ = settings(derandomize=True, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Hang(Exception):
    """Raised by the watchdog: a call did not return in time."""


@contextlib.contextmanager
def watchdog(what: str, seconds: int = WATCHDOG_S):
    """Fail (rather than hang the suite) if the block runs longer than ``seconds``."""
    def fire(signum, frame):
        raise Hang(f"{what} did not return within {seconds} s")
    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ------------------------------------------------------------------------------------------ seeds

@functools.lru_cache(maxsize=None)
def seeds() -> dict[str, bytes]:
    """Valid files of every kind load() reads: made by cryptography here, plus openssl's samples."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization as S
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
    from cryptography.x509.oid import NameOID

    out: dict[str, bytes] = {}
    keys = {"rsa": rsa.generate_private_key(65537, 2048), "ec": ec.generate_private_key(ec.SECP256R1()),
            "ed25519": ed25519.Ed25519PrivateKey.generate()}
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com")])
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    san = x509.SubjectAlternativeName([x509.DNSName("www.example.com"), x509.DNSName("example.com")])
    for kind, key in keys.items():
        h = None if kind == "ed25519" else hashes.SHA256()
        csr = x509.CertificateSigningRequestBuilder().subject_name(name).add_extension(san, False).sign(key, h)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(4242).not_valid_before(now).not_valid_after(now + dt.timedelta(days=90))
                .add_extension(san, False).add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
                .sign(key, h))
        for enc, fmt in ((S.Encoding.PEM, "pem"), (S.Encoding.DER, "der")):
            out[f"{kind}-key.{fmt}"] = key.private_bytes(enc, S.PrivateFormat.PKCS8, S.NoEncryption())
            out[f"{kind}-key-encrypted.{fmt}"] = key.private_bytes(enc, S.PrivateFormat.PKCS8,
                                                                   S.BestAvailableEncryption(b"pw"))
            out[f"{kind}-pub.{fmt}"] = key.public_key().public_bytes(enc, S.PublicFormat.SubjectPublicKeyInfo)
            out[f"{kind}-csr.{fmt}"] = csr.public_bytes(enc)
            out[f"{kind}-crt.{fmt}"] = cert.public_bytes(enc)
        if kind != "ed25519":
            out[f"{kind}-key-legacy.pem"] = key.private_bytes(S.Encoding.PEM, S.PrivateFormat.TraditionalOpenSSL,
                                                              S.NoEncryption())
            out[f"{kind}-key-legacy-encrypted.pem"] = key.private_bytes(
                S.Encoding.PEM, S.PrivateFormat.TraditionalOpenSSL, S.BestAvailableEncryption(b"pw"))
        out[f"{kind}.p12"] = pkcs12.serialize_key_and_certificates(b"x", key, cert, [cert],
                                                                   S.BestAvailableEncryption(b"pw"))
        out[f"{kind}-unprotected.p12"] = pkcs12.serialize_key_and_certificates(b"x", key, cert, None,
                                                                               S.NoEncryption())
        out[f"{kind}-chain.pem"] = out[f"{kind}-crt.pem"] * 2
        out[f"{kind}.p7b"] = pkcs7.serialize_certificates([cert, cert], S.Encoding.PEM)
    out["bundle-crlf.pem"] = (b"subject=CN = www.example.com\r\n" + out["rsa-key.pem"].replace(b"\n", b"\r\n")
                              + out["ec-csr.pem"] + out["ed25519-crt.pem"])
    for f in sorted(SAMPLES.glob("sample-*")):
        out[f.name] = f.read_bytes()
    return out


SEED_NAMES = sorted(seeds())


# ------------------------------------------------------------------------------------------ mutations

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_B64 = b"!*?.,;:-_~#\x00\xff\t "
_LABELS = [b"CERTIFICATE", b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST", b"PRIVATE KEY",
           b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"PUBLIC KEY", b"PKCS7",
           b"OPENSSH PRIVATE KEY", b"X509 CRL", b"TRUSTED CERTIFICATE", b"FOO"]


def _pos(data: bytes, n: int) -> int:
    return n % (len(data) + 1)


def _bit_flips(data, n, payload):
    b = bytearray(data)
    for i, x in enumerate(payload[:8] or b"\x01"):
        if b:
            b[(n + 7919 * i) % len(b)] ^= 1 << (x % 8)
    return bytes(b)


def _truncate(data, n, payload):
    return data[:_pos(data, n)]


def _insert(data, n, payload):
    p = _pos(data, n)
    return data[:p] + payload + data[p:]


def _delete(data, n, payload):
    p = _pos(data, n)
    return data[:p] + data[p + 1 + len(payload):]


def _set_byte(data, n, payload):
    """Overwrite one byte near the start, where the DER tags and lengths are."""
    if not data:
        return data
    p = n % min(len(data), 64)
    return data[:p] + bytes([payload[0] if payload else 0]) + data[p + 1:]


def _swap_header(data, n, payload):
    """Relabel the BEGIN/END lines of one PEM block (a CSR that says CERTIFICATE...)."""
    new = _LABELS[n % len(_LABELS)]
    old = next((lab for lab in sorted(_LABELS, key=len, reverse=True) if b"-----BEGIN " + lab + b"-----" in data), None)
    if old is None:
        return b"-----BEGIN " + new + b"-----\n" + data + b"\n-----END " + new + b"-----\n"
    which = payload[0] % 3 if payload else 0  # both lines, only BEGIN, only END
    if which in (0, 1):
        data = data.replace(b"-----BEGIN " + old + b"-----", b"-----BEGIN " + new + b"-----", 1)
    if which in (0, 2):
        data = data.replace(b"-----END " + old + b"-----", b"-----END " + new + b"-----", 1)
    return data


def _corrupt_base64(data, n, payload):
    """Replace one character inside the base64 with a base64 or a non-base64 character."""
    start = data.find(b"-----\n")
    if start < 0:
        return data
    p = start + 6 + n % max(1, len(data) - start - 6)
    alphabet = _NOT_B64 if payload[:1] and payload[0] % 2 else _B64
    return data[:p] + bytes([alphabet[n % len(alphabet)]]) + data[p + 1:]


def _repeat_block(data, n, payload):
    return data * (2 + n % 40)


def _splice(data, n, payload):
    """Half of this file glued to half of another."""
    other = seeds()[SEED_NAMES[n % len(SEED_NAMES)]]
    return data[:_pos(data, n)] + other[_pos(other, n * 31):]


def _line_ends(data, n, payload):
    return [data.replace(b"\n", b"\r\n"), data.replace(b"\n", b"\r"), data.replace(b"\n", b""),
            b"\xef\xbb\xbf" + data, data.replace(b"\n", b"\n\n")][n % 5]


MUTATIONS = [_bit_flips, _truncate, _insert, _delete, _set_byte, _swap_header, _corrupt_base64, _repeat_block,
             _splice, _line_ends]

MAX_LEN = MAX_FILE_SIZE + 4096

mutation = st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2**20), st.binary(max_size=24))


@st.composite
def mutated_files(draw):
    """A seed file with one to four mutations applied, and the passphrase to try."""
    name = draw(st.sampled_from(SEED_NAMES))
    data = seeds()[name]
    for fn, n, payload in draw(st.lists(mutation, min_size=1, max_size=4)):
        data = fn(data, n, payload)[:MAX_LEN]  # just past the size limit: the limit is tested, RAM is spared
    return data, draw(st.sampled_from(PASSPHRASES))


# ------------------------------------------------------------------------------------------ the property

def use(items: list) -> None:
    """Everything the CLI and notebooks do with loaded items: repr, str, describe, HTML, JSON, match."""
    for it in items:
        assert it.kind in ("csr", "certificate", "private_key", "public_key")
        repr(it), str(it)
        info = csrlearn.describe(it)
        str(info), repr(info), info._repr_html_()
        json.dumps(info.to_dict())
        csrlearn.fingerprint(it)
    report = csrlearn.match(items)
    str(report), report._repr_html_(), json.dumps(report.to_dict())


def exercise(source, passphrase=None) -> list:
    """Load ``source`` and use its items; a one-line CsrLearnError is a fine answer, anything else fails."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cryptography's deprecation notes on odd serials are not failures
            with watchdog("load"):
                items = csrlearn.load(source, passphrase=passphrase)
            assert items, "load() returned no items and raised nothing"
            with watchdog("describe/match of the items"):
                use(items if len(items) <= 30 else items[:25] + items[-5:])  # load itself checked them all
    except CsrLearnError as e:
        message = str(e)
        assert message and "\n" not in message, f"error message is not one line: {message!r}"
        return []
    return items


def test_every_seed_loads():
    """Every unmutated seed loads (with its passphrase): the mutations start from valid files."""
    for name, data in seeds().items():
        pw = b"correct horse" if name == "sample-rsa-encrypted.key" else b"pw"
        assert exercise(data, pw), name


@settings(FUZZ, max_examples=1500)
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    """Random bytes give items or a CsrLearnError, never another exception, never a hang."""
    exercise(data)


@settings(FUZZ, max_examples=1500)
@given(st.binary(min_size=2, max_size=2048).map(lambda b: b"\x30" + b[1:]))
def test_random_der_like_bytes(data):
    """Random bytes that start like DER (a SEQUENCE tag) take the DER path and still never crash."""
    exercise(data, b"pw")


@settings(FUZZ, max_examples=5000)
@given(mutated_files())
def test_mutated_files(case):
    """Damaged copies of valid files (bit flips, truncation, inserted bytes, swapped headers, corrupted
    base64, repeated blocks, splices) give items or a CsrLearnError, never another exception or a hang."""
    data, passphrase = case
    exercise(data, passphrase)


@settings(FUZZ, max_examples=200)
@given(mutated_files())
def test_mutated_files_through_the_cli(tmp_path_factory, case):
    """The CLI on a damaged file exits 0 or 2 with one stderr line, never an internal error."""
    data, _ = case
    path = tmp_path_factory.mktemp("fuzz") / "input.pem"
    path.write_bytes(data)
    for argv in (["decode", "--json", str(path)], ["match", str(path)], ["fingerprint", str(path)]):
        out, err = io.StringIO(), io.StringIO()
        with watchdog("csrlearn " + argv[0]), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(argv)
        assert "internal error" not in err.getvalue(), err.getvalue()
        assert code in (0, 1, 2), (argv, code)
        if code == 2 and argv[0] != "match":
            lines = err.getvalue().strip().splitlines()
            assert len(lines) == 1 and str(path) in lines[0], err.getvalue()


# ------------------------------------------------------------------------------------------ regressions

MANIFEST = json.loads((CORPUS / "corpus.json").read_text())


def test_corpus_manifest_lists_every_file():
    """Every corpus file is described in corpus.json (what failed, the passphrase, what to expect), and vice versa."""
    files = {p.name for p in CORPUS.iterdir() if p.name != "corpus.json"}
    assert files == set(MANIFEST)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_regression(name):
    """An input that once crashed, hung or was misread now gives what corpus.json expects, naming the file."""
    entry = MANIFEST[name]
    path = CORPUS / name
    pw = entry["passphrase"]
    items = exercise(str(path), pw.encode() if pw else None)
    if entry["expect"] == "items":
        assert items, f"{name}: expected items ({entry['failure']})"
    else:
        assert not items
        with pytest.raises(CsrLearnError, match=str(path).replace(".", r"\.")):
            csrlearn.load(path, passphrase=pw)


def test_many_repeated_rsa_keys_load_quickly_enough():
    """A 1 MB file of one RSA key repeated ~600 times loads without a hang (each key is checked cheaply)."""
    block = seeds()["rsa-key.pem"]
    data = block * (1_000_000 // len(block))
    with watchdog("load of 600 RSA keys"):
        items = csrlearn.load(data)
    assert len(items) == 1_000_000 // len(block)


def test_many_encrypted_keys_hit_the_key_derivation_limit():
    """A file of many encrypted keys is refused once their key-derivation work passes MAX_KDF_WORK, not decrypted for minutes."""
    from csrlearn.files import MAX_KDF_WORK
    block = seeds()["ec-key-encrypted.pem"]
    data = block * 500
    with watchdog("load of 500 encrypted keys"), pytest.raises(CsrLearnError, match="key-derivation"):
        csrlearn.load(data, passphrase=b"pw")
    assert MAX_KDF_WORK < 500 * 2048


def test_deeply_nested_der_is_an_error_not_a_recursion_crash():
    """A DER tower of 100,000 nested SEQUENCEs is refused cleanly (no RecursionError from any parser)."""
    headers, length = [], 0
    for _ in range(100_000):  # from the inside out: each header wraps everything inside it
        h = b"\x30" + (bytes([length]) if length < 128 else bytes([0x83]) + length.to_bytes(3, "big"))
        headers.append(h)
        length += len(h)
    data = b"".join(reversed(headers))
    exercise(data, b"pw")
    exercise(b"\x30\x80" * 100_000, b"pw")  # indefinite lengths (BER), never valid DER
