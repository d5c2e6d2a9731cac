"""Reading and writing the files of the trade: PEM or DER, keys, CSRs, certificates, chains, PKCS#12.

``load(path)`` takes whatever lies around on a server — several PEM blocks in one file, CRLF line
ends, ``openssl x509 -text`` dumps with text before BEGIN, DER, encrypted keys, PKCS#12 — and returns
typed ``Item`` objects; anything else is a ``CsrLearnError`` that names the file and says what to do.
``save_key`` writes private keys 0600 from the first byte, atomically, never over an existing file.
"""
from __future__ import annotations

import base64
import contextlib
import binascii
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Sequence, Union

from cryptography import x509
from cryptography.exceptions import InternalError, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from .errors import CsrLearnError, InputError, PassphraseError, UnsupportedKeyError, WouldOverwriteError, where

__all__ = ["Item", "load", "load_one", "is_source", "read_file", "save_key", "save", "write_atomic", "write_group", "MAX_FILE_SIZE", "KINDS"]

# Larger than any key, CSR, chain or PKCS#12 a server holds (a 150-certificate CA bundle is 220 KB),
# small enough that a stray log file or image is refused at once: openssl spends minutes on a 5 MB file.
MAX_FILE_SIZE = 1024 * 1024

# Key-derivation work (PBKDF2 iterations, scrypt N·r·p, PKCS#12 MAC rounds) one file may ask for before
# anything is decrypted. openssl's default is 2,048 iterations, cryptography's 20,000 and OWASP's advice
# for PBKDF2-SHA256 600,000 (about 0.3 s here); a damaged or hostile file asking for 2**31 would keep a
# CPU busy for hours, with no way to interrupt OpenSSL.
MAX_KDF_WORK = 600_000

KINDS = ("csr", "certificate", "private_key", "public_key")

Source = Union[str, bytes, os.PathLike]

_CERT_LABELS = {"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"}
_CSR_LABELS = {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"}
_PRIVATE_LABELS = {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY"}
_PUBLIC_LABELS = {"PUBLIC KEY", "RSA PUBLIC KEY"}
_PKCS7_LABELS = {"PKCS7", "CMS", "PKCS #7 SIGNED DATA"}
# Blocks that travel with keys and certificates but are neither: skipped quietly.
_IGNORED_LABELS = {"EC PARAMETERS", "DH PARAMETERS", "X509 CRL", "DSA PARAMETERS", "PARAMETERS"}

_BEGIN_RE = re.compile(rb"-----BEGIN ([A-Z0-9 #/]+?)-----")


class _Block(NamedTuple):
    """One PEM block: its whole text, its label, the body between the lines, and whether an END line closed it."""

    text: bytes
    label: bytes
    body: bytes
    closed: bool


def _pem_blocks(data: bytes) -> Iterator[_Block]:
    """Every PEM block in ``data``: from a BEGIN line to its END line, else to the next BEGIN, else to the end.

    Found with ``bytes.find``: a regex trying those three endings at every byte of every body was 20 times
    slower, which was most of the difference between matching a folder and merely loading it.
    """
    pos = 0
    while True:
        m = _BEGIN_RE.search(data, pos)
        if m is None:
            return
        label, body = m.group(1), m.end()
        end_line = b"-----END " + label + b"-----"
        end, nxt = data.find(end_line, body), data.find(b"-----BEGIN ", body)
        closed = end != -1 and (nxt == -1 or end < nxt)
        if closed:
            pos = end + len(end_line)
        else:
            pos = end = len(data) if nxt == -1 else nxt
        yield _Block(data[m.start():pos], label, data[body:end], closed)


_OPENSSH_PUB_RE = re.compile(rb"^\s*(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp\d+|sk-[a-z0-9@.-]+) AAAA")


@dataclass(frozen=True)
class Item:
    """One thing found in a file: a CSR, a certificate, a private key or a public key.

    ``obj`` is the pyca/cryptography object; ``role`` is ``"leaf"`` for the first certificate of a file
    and ``"chain"`` for the others (intermediates of a full-chain file or PKCS#12). The repr shows the
    kind, key type and fingerprint — never key material.
    """

    kind: str
    obj: Any = field(repr=False)
    path: str | None
    format: str  # "PEM" | "DER" | "PKCS12"
    index: int
    role: str = ""
    encrypted: bool = False

    @property
    def name(self) -> str:
        """``file#index`` (or ``<input>#index``), how reports refer to this item."""
        return f"{self.path or '<input>'}#{self.index}"

    @property
    def fingerprint(self) -> str:
        from .match import fingerprint
        return fingerprint(self.obj)

    @functools.cached_property
    def key(self) -> Any:
        """The ``KeyParams`` of its public key (``RSA 2048``, ``EC P-256``…), worked out once: loading checks
        it and matching reads it again."""
        from .keys import key_params
        return key_params(self.obj)

    def __repr__(self) -> str:
        return f"<Item {self.kind} {self.key} {self.name} spki-sha256:{self.fingerprint[:16]}…>"

    def __str__(self) -> str:
        role = f" ({self.role})" if self.role == "chain" else ""
        return f"{self.name}: {self.kind.replace('_', ' ')}{role}, {self.key}, {self.format}"

    def _repr_html_(self) -> str:
        from .describe import describe
        return describe(self)._repr_html_()


# ---------------------------------------------------------------------------------------------- reading

def read_file(path: str | os.PathLike, *, limit: int = MAX_FILE_SIZE) -> bytes:
    """The bytes of a regular file, refusing directories, FIFOs, devices and anything over ``limit``.

    The size is checked before reading (and the read stops at ``limit`` in case the file grows),
    and a FIFO is never opened for blocking reads, so bad input can never hang the caller.
    """
    p = os.fspath(path)
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        if os.path.islink(p):
            raise InputError(f"{p}: is a broken symbolic link: point it at the real file") from None
        raise InputError(f"{p}: no such file: check the path") from None
    except PermissionError:
        raise InputError(f"{p}: permission denied: run as a user who may read it, or fix its mode") from None
    except OSError as e:
        if e.errno == 40:  # ELOOP
            raise InputError(f"{p}: is a symbolic link loop: point the link at a real file") from None
        if e.errno == 20:  # ENOTDIR
            raise InputError(f"{p}: a part of the path is a file, not a directory: check the path") from None
        raise InputError(f"{p}: cannot open it ({e.strerror}): check the path and its permissions") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{p}: is a directory: name a file (csrlearn match walks directories)")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{p}: is not a regular file (a FIFO, socket or device): copy the content to a file first",
                             not_crypto=True)
        if st.st_size > limit:
            raise InputError(
                f"{p}: is {st.st_size:,} bytes, far larger than any key, CSR or certificate "
                f"(limit {limit:,}): is it the right file?", not_crypto=True)
        # (O_NONBLOCK means nothing for a regular file.) One read of the size fstat gave is the whole file,
        # the common case; if it returns more or less, the file is changing: read on to its end, up to the limit.
        chunks = [os.read(fd, st.st_size + 1)]
        total = len(chunks[0])
        while total != st.st_size:
            if total > limit:
                raise InputError(f"{p}: grew past {limit:,} bytes while being read: is something still writing it?")
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise InputError(f"{p}: cannot read it ({e.strerror})") from None
    finally:
        os.close(fd)


def is_source(obj: Any) -> bool:
    """Is ``obj`` something ``load`` reads (a path, PEM text or bytes) rather than an object already loaded?"""
    return isinstance(obj, (str, bytes, bytearray, memoryview)) or hasattr(obj, "__fspath__")


def _source_bytes(source: Source) -> tuple[bytes, str | None]:
    """Normalise a path, PEM text or raw bytes to (bytes, path-or-None), once, at the edge."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), None
    if isinstance(source, str) and ("-----BEGIN" in source or "\n" in source):
        return source.encode("utf-8", "replace"), None
    if isinstance(source, (str, os.PathLike)):
        return read_file(source), os.fspath(source)
    raise InputError(f"expected a path, PEM text or bytes, but got {type(source).__name__}")


def load(source: Source, *, passphrase: str | bytes | None = None, check_keys: bool = True) -> list[Item]:
    """Everything in one file (or PEM text, or bytes), in document order.

    ``passphrase`` opens encrypted keys and PKCS#12 files. ``check_keys=False`` skips the slow
    consistency check of RSA private keys (~30 ms each): fine when only the public half is needed,
    as in matching; ``prove`` always checks.
    """
    return _load(source, passphrase, check_keys, all_fields=True)


def _load(source: Source, passphrase: str | bytes | None, check_keys: bool, *, all_fields: bool) -> list[Item]:
    """``load``; with ``all_fields=False`` only what matching reads is parsed now (see ``_checked``)."""
    data, path = _source_bytes(source)
    return _parse(data, path, _as_bytes(passphrase), check_keys, all_fields)


def load_one(source: Source, *, passphrase: str | bytes | None = None, kind: str | None = None,
             check_keys: bool = True) -> Item:
    """Exactly one item (of ``kind``, if given): a file with several is an error that says so.

    A chain file counts as one certificate: its leaf (the first).
    """
    items = load(source, passphrase=passphrase, check_keys=check_keys)
    path = items[0].path if items else None
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        items = [i for i in items if i.kind == kind]
        if not items:
            raise InputError(f"{where(path)}holds no {kind.replace('_', ' ')}")
    leaves = [i for i in items if i.role != "chain"]
    if len(leaves) != 1:
        kinds = ", ".join(i.kind.replace("_", " ") for i in leaves)
        raise InputError(f"{where(path)}holds {len(leaves)} items ({kinds}), expected one: split the file or name the kind")
    return leaves[0]


def _as_bytes(passphrase: str | bytes | None) -> bytes | None:
    if passphrase is None or isinstance(passphrase, bytes):
        return passphrase
    return passphrase.encode("utf-8")


def _parse(data: bytes, path: str | None, passphrase: bytes | None, check_keys: bool,
           all_fields: bool) -> list[Item]:
    w = where(path) or "<input>: "
    if len(data) > MAX_FILE_SIZE:  # bytes and text get the same limit as files (read_file checks those)
        raise InputError(f"{w}is {len(data):,} bytes, far larger than any key, CSR or certificate "
                         f"(limit {MAX_FILE_SIZE:,}): is it the right data?", not_crypto=True)
    if not data.strip():
        raise InputError(f"{w}is empty: expected a PEM or DER key, CSR or certificate", not_crypto=True)
    data = _decode_text(data, w)
    if b"-----BEGIN" in data:
        items = _parse_pem(data, path, w, passphrase, check_keys)
    elif data[:1] == b"\x30":
        items = _parse_der(data, path, w, passphrase, check_keys)
    else:
        raise InputError(w + _what_is_it(data), not_crypto=True)
    return _checked(_mark_roles(items), w, check_keys, all_fields)


def _decode_text(data: bytes, w: str) -> bytes:
    """UTF-16 (with a BOM) and UTF-8 BOMs, as Windows editors save PEM files, become plain ASCII."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{w}starts with a UTF-16 byte-order mark but is not UTF-16 text") from None
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:]
    if data[:1] != b"\x30" and b"\x00" in data[:200] and b"-----BEGIN" in data[:8192].replace(b"\x00", b""):
        raise InputError(f"{w}is UTF-16 text without a byte-order mark: convert it with "
                         f"iconv -f UTF-16LE -t UTF-8 (or save it as UTF-8)")
    return data


def _what_is_it(data: bytes) -> str:
    """The message for a file that is neither PEM nor DER: say what it looks like."""
    head = data.lstrip()[:100]
    if _OPENSSH_PUB_RE.match(data):
        return ("is an OpenSSH public key, not a PEM or DER key: convert it with "
                "ssh-keygen -e -m PKCS8 -f FILE")
    if head.startswith(b"PuTTY-User-Key-File"):
        return "is a PuTTY key: export it as OpenSSH or PEM with puttygen first"
    if head.startswith(b"---- BEGIN SSH2"):
        return "is an SSH2 public key: convert it with ssh-keygen -i -m PKCS8 -f FILE"
    if head[:1] in (b"{", b"["):
        return "is JSON (or other text), not a key, CSR or certificate: expected a PEM block or DER"
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in data[:1024])
    if printable >= 0.95 * min(len(data), 1024):
        if re.search(rb"[A-Za-z0-9+/]{60,}", data[:4096]):
            return ("is base64 text without BEGIN/END lines: add the -----BEGIN ...----- header and footer "
                    "it was copied from")
        return "is text without a PEM block (-----BEGIN ...-----): expected a key, CSR or certificate"
    return "is binary data that is neither PEM nor DER: expected a key, CSR or certificate"


def _parse_pem(data: bytes, path: str | None, w: str, passphrase: bytes | None, check_keys: bool) -> list[Item]:
    items: list[Item] = []
    labels_seen: list[str] = []
    kdf_spent = 0
    for m in _pem_blocks(data):
        label = m.label.decode("ascii")
        labels_seen.append(label)
        if not m.closed:
            raise InputError(f"{w}the {label} block has no END line: the file is truncated; copy it again in full")
        if label == "OPENSSH PRIVATE KEY":
            raise InputError(f"{w}this is an OpenSSH key, not a PEM private key; convert it with ssh-keygen -p -m PEM")
        if label in _IGNORED_LABELS:
            continue
        headers, der = _pem_body(m.body, label, w)
        index = len(items)
        if label == "ENCRYPTED PRIVATE KEY" and passphrase is not None:
            kdf_spent = _spend_kdf(der, kdf_spent, w)
        if label in _CERT_LABELS:
            items.append(Item("certificate", _load_der_as(der, "certificate", label, w), path, "PEM", index, "leaf"))
        elif label in _CSR_LABELS:
            items.append(Item("csr", _load_der_as(der, "csr", label, w), path, "PEM", index))
        elif label in _PRIVATE_LABELS:
            encrypted = label == "ENCRYPTED PRIVATE KEY" or b"ENCRYPTED" in headers
            if headers:  # legacy "Proc-Type: 4,ENCRYPTED" PEM: cryptography decrypts it from the PEM text
                key = _private_key(lambda pw: serialization.load_pem_private_key(
                    m.text, pw, unsafe_skip_rsa_key_validation=True), encrypted, passphrase, w)
            else:
                key = _private_key(lambda pw: serialization.load_der_private_key(
                    der, pw, unsafe_skip_rsa_key_validation=True), encrypted, passphrase, w,
                    label=label)
            items.append(Item("private_key", key, path, "PEM", index, encrypted=encrypted))
        elif label in _PUBLIC_LABELS:
            try:
                if label == "RSA PUBLIC KEY":
                    pub = serialization.load_pem_public_key(m.text)
                else:
                    pub = serialization.load_der_public_key(der)
            except (ValueError, UnsupportedAlgorithm, InternalError) as e:
                raise InputError(f"{w}the {label} block is corrupted ({_short(e)})") from None
            items.append(Item("public_key", pub, path, "PEM", index))
        elif label in _PKCS7_LABELS:
            from cryptography.hazmat.primitives.serialization import pkcs7  # rare; its import pulls in email.*
            try:
                certs = pkcs7.load_der_pkcs7_certificates(der)
            except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion) as e:
                raise InputError(f"{w}the {label} block holds no readable certificates ({_short(e)})") from None
            for cert in certs:
                items.append(Item("certificate", cert, path, "PEM", len(items), "leaf"))
        else:
            raise InputError(f"{w}holds a '{label}' PEM block, which is not a key, CSR or certificate")
    if not items:
        if labels_seen:
            raise InputError(f"{w}holds only {', '.join(sorted(set(labels_seen)))}: no key, CSR or certificate",
                             not_crypto=True)
        raise InputError(f"{w}has a broken BEGIN line: expected -----BEGIN <TYPE>-----")
    return items


def _pem_body(body: bytes, label: str, w: str) -> tuple[bytes, bytes]:
    """Split RFC 1421 headers (``Proc-Type: …``) from the base64 and decode it strictly."""
    headers = b""
    text = body.replace(b"\r", b"")
    blank = text.find(b"\n\n")
    if blank != -1 and b":" in text[:blank]:
        headers, text = text[:blank], text[blank + 2:]
    b64 = b"".join(text.split())
    try:
        der = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{w}the base64 inside the {label} block is corrupted: copy the file again "
                         f"(a stray character or a cut line?)") from None
    if not der:
        raise InputError(f"{w}the {label} block is empty")
    return headers, der


_DER_LOADERS = {
    "certificate": x509.load_der_x509_certificate,
    "csr": x509.load_der_x509_csr,
}


def _load_der_as(der: bytes, kind: str, label: str, w: str) -> Any:
    """Load a block's DER as the kind its header promises; if it is something else, say what."""
    if label == "TRUSTED CERTIFICATE":  # openssl appends trust settings after the certificate
        der = der[:_tlv_end(der) or len(der)]
    try:
        return _DER_LOADERS[kind](der)
    except (ValueError, x509.InvalidVersion) as e:
        actual = _sniff_der(der)
        if actual and actual != kind:
            raise InputError(f"{w}the block says {label} but holds a {actual.replace('_', ' ')}: "
                             f"fix the BEGIN/END lines") from None
        raise InputError(f"{w}the {label} block is truncated or corrupted ({_short(e)}): copy it again") from None


def _private_key(loader: Any, encrypted: bool, passphrase: bytes | None, w: str, *, label: str = "") -> Any:
    """Run a key loader, turning cryptography's exceptions into clear passphrase/input errors."""
    if encrypted and passphrase is None:
        raise PassphraseError(f"{w}the key is encrypted; give its passphrase with --passphrase-file")
    try:
        return loader(passphrase if encrypted else None)
    except TypeError as e:  # "Password was not given but private key is encrypted"
        if "encrypted" in str(e) and passphrase is None:
            raise PassphraseError(f"{w}the key is encrypted; give its passphrase with --passphrase-file") from None
        raise InputError(f"{w}cannot read the key ({_short(e)})") from None
    except UnsupportedAlgorithm as e:
        raise UnsupportedKeyError(f"{w}uses a key type or cipher csrlearn cannot read ({_short(e)})") from None
    except (ValueError, InternalError) as e:  # InternalError: OpenSSL refused a damaged key's parameters
        if encrypted:
            raise PassphraseError(f"{w}wrong passphrase (or a corrupted key): try again") from None
        raise InputError(f"{w}the {label or 'private key'} block is truncated or corrupted ({_short(e)}): "
                         f"copy it again") from None


def _parse_der(data: bytes, path: str | None, w: str, passphrase: bytes | None, check_keys: bool) -> list[Item]:
    end = _tlv_end(data)
    if end is None or end > len(data):
        raise InputError(f"{w}is DER (binary ASN.1) but truncated: the file is shorter than its header says; copy it again")
    if end < len(data):
        raise InputError(f"{w}has {len(data) - end} bytes of trailing garbage after the DER structure: copy it again")
    kind = _sniff_der(data)
    if kind == "pkcs12":
        return _parse_pkcs12(data, path, w, passphrase, check_keys)
    if kind in _DER_LOADERS:
        try:
            return [Item(kind, _DER_LOADERS[kind](data), path, "DER", 0, "leaf" if kind == "certificate" else "")]
        except (ValueError, x509.InvalidVersion) as e:
            raise InputError(f"{w}is a DER {kind} but corrupted ({_short(e)})") from None
    if kind in ("private_key", "encrypted_private_key"):
        encrypted = kind == "encrypted_private_key"
        if encrypted and passphrase is not None:
            _spend_kdf(data, 0, w)
        key = _private_key(lambda pw: serialization.load_der_private_key(
            data, pw, unsafe_skip_rsa_key_validation=True), encrypted, passphrase, w)
        return [Item("private_key", key, path, "DER", 0, encrypted=encrypted)]
    if kind == "public_key":
        try:
            return [Item("public_key", serialization.load_der_public_key(data), path, "DER", 0)]
        except (ValueError, UnsupportedAlgorithm, InternalError) as e:
            raise InputError(f"{w}is a DER public key but corrupted or of an unknown type ({_short(e)})") from None
    raise InputError(f"{w}is DER (ASN.1) but not a certificate, CSR or key that csrlearn knows, or it is corrupted: "
                     f"check it is the right file, or copy it again")


def _parse_pkcs12(data: bytes, path: str | None, w: str, passphrase: bytes | None, check_keys: bool) -> list[Item]:
    from cryptography.hazmat.primitives.serialization import pkcs12  # rare: imported when first needed
    _spend_kdf(data, 0, w)  # the MAC is checked (a key derivation) even without a passphrase
    # a passphrase given for a whole folder must not stop an unprotected PKCS#12 from opening
    attempts = [passphrase, None, b""] if passphrase is not None else [None, b""]
    for pw in attempts:
        try:
            p12 = pkcs12.load_pkcs12(data, pw)
            break
        except (ValueError, InternalError):
            continue
        except x509.InvalidVersion as e:
            raise InputError(f"{w}the PKCS#12 file holds a corrupted certificate ({_short(e)}): copy it again") from None
        except UnsupportedAlgorithm as e:
            raise UnsupportedKeyError(f"{w}the PKCS#12 file uses an algorithm csrlearn cannot read ({_short(e)})") from None
    else:
        if passphrase is None:
            raise PassphraseError(f"{w}is a PKCS#12 file protected by a passphrase; give it with --passphrase-file")
        raise PassphraseError(f"{w}wrong passphrase for this PKCS#12 file (or the file is corrupted): check it and try again")
    items: list[Item] = []
    if p12.key is not None:
        items.append(Item("private_key", p12.key, path, "PKCS12", 0, encrypted=passphrase is not None))
    if p12.cert is not None:
        items.append(Item("certificate", p12.cert.certificate, path, "PKCS12", len(items), "leaf"))
    for extra in p12.additional_certs:
        items.append(Item("certificate", extra.certificate, path, "PKCS12", len(items), "leaf"))
    if not items:
        raise InputError(f"{w}is an empty PKCS#12 file: no key and no certificate")
    return items


def _checked(items: list[Item], w: str, check_keys: bool = True, all_fields: bool = True) -> list[Item]:
    """Parse every part a report will show, now: a corrupted field is an error here, not a crash later.

    cryptography decodes a certificate's public key, names and dates only when first asked, so a
    file with a damaged subject or key still "loads"; ``describe`` or ``match`` would then fail.
    ``all_fields=False`` is for ``match``, which reads only public keys here (and checks what else it
    shows itself): the rest stays unparsed (names cost 8 µs each, half the time a folder takes).
    """
    for it in items:
        what = "CSR" if it.kind == "csr" else it.kind.replace("_", " ")
        _check_key(it, w, what)
        try:
            if check_keys and it.kind == "private_key":
                _check_rsa(it.obj, w)
            if all_fields and it.kind in ("csr", "certificate"):
                it.obj.subject  # parsed (and kept by cryptography) on first access; formatting it cannot fail
                it.obj.signature_algorithm_oid
            if all_fields and it.kind == "certificate":
                it.obj.issuer  # parsed (and kept by cryptography) on first access; formatting it cannot fail
                it.obj.serial_number
                getattr(it.obj, "not_valid_before_utc", None) or it.obj.not_valid_before
                getattr(it.obj, "not_valid_after_utc", None) or it.obj.not_valid_after
        except (ValueError, InternalError) as e:
            raise InputError(f"{w}the {what} is corrupted ({_short(e)}): copy it again") from None
    return items


def _check_key(it: Item, w: str, what: str) -> None:
    """The item's public key and its type, or an error that says which of the two is wrong."""
    try:
        it.key  # X25519 and DH keys cannot sign: refused
    except UnsupportedKeyError as e:
        raise UnsupportedKeyError(f"{w}the {what} has a key csrlearn cannot use ({_short(e)}): "
                                  f"expected RSA, EC, Ed25519, Ed448 or DSA") from None
    except UnsupportedAlgorithm as e:
        raise UnsupportedKeyError(f"{w}the {what} has a key type csrlearn cannot read ({_short(e)}): "
                                  f"expected RSA, EC, Ed25519, Ed448 or DSA") from None
    except (ValueError, InternalError) as e:  # a damaged key, or numbers no key pair has (an even RSA exponent)
        raise InputError(f"{w}the {what}'s public key is unusable ({_short(e)}): copy the file again; if the copy "
                         f"is the same, the key was never valid: make a new key") from None


def _check_rsa(key: Any, w: str) -> None:
    """Do an RSA key's numbers fit together (n = p·q, e·d = 1 mod p-1 and q-1, the CRT values)?

    This is openssl's RSA key check minus the primality proofs of p and q, which take seconds for an
    8192-bit key and about a minute for 16384 bits: a damaged key is what we look for, and the
    arithmetic finds one in microseconds.
    """
    from cryptography.hazmat.primitives.asymmetric import rsa
    if not isinstance(key, rsa.RSAPrivateKey):
        return
    priv = key.private_numbers()
    n, e = priv.public_numbers.n, priv.public_numbers.e
    p, q, d = priv.p, priv.q, priv.d
    ok = (p > 2 and q > 2 and p * q == n and 1 < e < n and 0 < d < n
          and (e * d) % (p - 1) == 1 and (e * d) % (q - 1) == 1
          and priv.dmp1 == d % (p - 1) and priv.dmq1 == d % (q - 1) and (priv.iqmp * q) % p == 1)
    if not ok:
        raise InputError(f"{w}the RSA private key is damaged (its numbers do not fit together): "
                         f"restore it from a backup; a new key needs a new certificate")


def _spend_kdf(der: bytes, spent: int, w: str) -> int:
    """Add the key-derivation work ``der`` asks for to ``spent``; refuse past ``MAX_KDF_WORK``."""
    work = _kdf_work(der)
    if work is None:
        raise InputError(f"{w}has more than {_MAX_DER_NODES:,} ASN.1 elements, too many to check its encryption "
                         f"safely: is it the right file?")
    total = spent + work
    if total > MAX_KDF_WORK:
        raise InputError(f"{w}its encryption asks for {total:,} key-derivation rounds, more than csrlearn's limit of "
                         f"{MAX_KDF_WORK:,} (a damaged or hostile file?): if you trust it, re-encrypt it with fewer "
                         f"(openssl pkcs8 -topk8 -iter 100000, or openssl pkcs12 -export -iter 100000)")
    return total


_PBKDF2_OID = bytes.fromhex("2a864886f70d01050c")  # 1.2.840.113549.1.5.12
_SCRYPT_OID = bytes.fromhex("2b06010401da47040b")  # 1.3.6.1.4.1.11591.4.11
_PKCS12_PBE_ARC = bytes.fromhex("2a864886f70d010c01")  # 1.2.840.113549.1.12.1.x (pbeWithSHAAnd…)
_MAX_DER_NODES = 200_000


def _kdf_work(der: bytes) -> int | None:
    """The key-derivation work an encrypted PKCS#8 key or a PKCS#12 file asks for, read from its
    (cleartext) algorithm parameters before anything is decrypted.

    Counts PBKDF2 iterations, scrypt N·r·p (×3: each unit costs about three PBKDF2 rounds), the
    iterations of PKCS#12's own PBE and of its MAC. Walks the DER with an explicit stack (no recursion
    on hostile nesting), including DER wrapped in OCTET STRINGs (PKCS#12 safe contents); parts that
    are not DER are not counted. None when the file has too many elements to walk. Never raises.
    """
    work, nodes, stack = 0, 0, [(0, len(der))]
    while stack:
        start, end = stack.pop()
        kids = []
        pos = start
        while pos < end and nodes < _MAX_DER_NODES:
            stop = _tlv_end(der, pos)
            if stop is None or stop > end or der[pos] & 0x1F == 0x1F:
                break
            kids.append((der[pos], pos + _header_len(der, pos), stop))
            pos, nodes = stop, nodes + 1
        if len(kids) >= 2 and kids[0][0] == 0x06 and kids[1][0] == 0x30:  # AlgorithmIdentifier{OID, params}
            oid = der[kids[0][1]:kids[0][2]]
            ints = [int.from_bytes(der[a:b], "big") for t, a, b in _tlv_list(der, kids[1][1], kids[1][2]) if t == 0x02]
            if oid == _PBKDF2_OID and ints:
                work += ints[0]
            elif oid == _SCRYPT_OID and len(ints) >= 3:
                work += 3 * ints[0] * ints[1] * ints[2]
            elif oid[:-1] == _PKCS12_PBE_ARC and ints:
                work += ints[0]
        if [k[0] for k in kids] == [0x30, 0x04, 0x02]:  # PKCS#12 MacData{DigestInfo, salt, iterations}
            work += int.from_bytes(der[kids[2][1]:kids[2][2]], "big")
        for tag, a, b in kids:
            if tag & 0x20 or (tag == 0x04 and der[a:a + 1] == b"\x30"):  # constructed, or DER inside an OCTET STRING
                stack.append((a, b))
    return None if nodes >= _MAX_DER_NODES else work


def _tlv_list(der: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(tag, content start, end) of the DER elements between ``start`` and ``end``, up to the first malformed one."""
    out, pos = [], start
    while pos < end:
        stop = _tlv_end(der, pos)
        if stop is None or stop > end:
            break
        out.append((der[pos], pos + _header_len(der, pos), stop))
        pos = stop
    return out


def _mark_roles(items: list[Item]) -> list[Item]:
    """The first certificate of a file is its leaf; the others are its chain (nginx's full-chain order).

    The readers make every certificate a leaf; this turns the second and later ones into chain.
    """
    out, seen_leaf = [], False
    for it in items:
        if it.kind == "certificate":
            if seen_leaf:
                it = Item(it.kind, it.obj, it.path, it.format, it.index, "chain", it.encrypted)
            seen_leaf = True
        out.append(it)
    return out


def _tlv_end(der: bytes, offset: int = 0) -> int | None:
    """Where the DER element starting at ``offset`` ends, from its header alone (None if malformed)."""
    if len(der) < offset + 2:
        return None
    first = der[offset + 1]
    if first < 0x80:
        return offset + 2 + first
    n = first & 0x7F
    if n == 0 or n > 4 or len(der) < offset + 2 + n:
        return None
    length = int.from_bytes(der[offset + 2: offset + 2 + n], "big")
    return offset + 2 + n + length


def _header_len(der: bytes, offset: int) -> int:
    first = der[offset + 1]
    return 2 if first < 0x80 else 2 + (first & 0x7F)


def _sniff_der(der: bytes) -> str | None:
    """Guess what a DER SEQUENCE is from the tags of its first elements (cheap, never raises)."""
    try:
        if der[:1] != b"\x30" or _tlv_end(der) is None:
            return None
        p = _header_len(der, 0)
        t1 = der[p]
        e1 = _tlv_end(der, p)
        if e1 is None:
            return None
        t2 = der[e1] if e1 < len(der) else None
        if t1 == 0x02:  # INTEGER first: a version number
            version = der[p + 2] if der[p + 1] == 1 else None
            if version == 3 and t2 == 0x30:
                return "pkcs12"
            if version in (0, 1) and t2 in (0x30, 0x02, 0x04):
                return "private_key"  # PKCS#8 (0, SEQUENCE), PKCS#1 (0, INTEGER), SEC1 (1, OCTET STRING)
            return None
        if t1 == 0x30:
            # certificate / CSR: SEQUENCE{ SEQUENCE(tbs), SEQUENCE(alg), BIT STRING }; SPKI: SEQUENCE{ SEQUENCE(alg), BIT STRING }
            if t2 == 0x03:
                return "public_key"
            if t2 == 0x04:
                return "encrypted_private_key"
            inner = _header_len(der, p) + p
            if der[inner] == 0xA0:  # [0] version: only certificates have it
                return "certificate"
            if der[inner] == 0x02:  # tbs starts with INTEGER: CSR version, or a v1 certificate's serial
                ie = _tlv_end(der, inner)
                if ie is not None and der[ie] == 0x30:
                    nxt = _tlv_end(der, ie)
                    # v1 certificate: serial, sigalg(SEQ), issuer(SEQ), validity(SEQ)...; CSR: version, subject(SEQ), spki(SEQ), [0]
                    if nxt is not None and der[nxt] == 0x30 and der[inner + 1] == 1 and der[inner + 2] == 0:
                        sec = _tlv_end(der, nxt)
                        return "csr" if sec is not None and der[sec] == 0xA0 else "certificate"
                    return "certificate"
        return None
    except IndexError:
        return None


def _short(e: Exception) -> str:
    if isinstance(e, InternalError):  # its text is advice for cryptography's bug tracker, not for the reader
        return "OpenSSL rejected the key data"
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:120]


# ---------------------------------------------------------------------------------------------- writing

def write_atomic(path: str | os.PathLike, data: bytes, *, mode: int = 0o644, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` so that it either appears complete or not at all.

    A temporary file in the same directory is created with ``mode`` from its first byte (0600 for keys,
    whatever the umask), filled, flushed to disk and then linked into place: without ``overwrite`` the
    link fails if the name exists, so even two racing writers cannot replace each other's file.
    Symbolic links are never written through.
    """
    return write_group([(path, data, mode)], overwrite=overwrite)[0]


def write_group(entries: Sequence[tuple[str | os.PathLike, bytes, int]], *, overwrite: bool = False) -> list[Path]:
    """Write several files of one directory as one step — a key and its CSR: all of them or none.

    Every file is first written in full to a temporary name and flushed to disk (a full disk or a
    crash stops here, with every old file untouched); only then are they put in place, under a lock
    on the directory, so two runs at once cannot leave one's key beside the other's CSR. Without
    ``overwrite`` a name taken meanwhile undoes the names this call had already placed.
    """
    targets = [Path(p) for p, _, _ in entries]
    directory = targets[0].parent
    if any(t.parent != directory for t in targets):
        raise ValueError("write_group writes files of one directory")
    for target in targets:
        _check_target(target, overwrite)
    staged: list[Path] = []
    placed: list[Path] = []
    target = targets[0]  # the one being written, for messages
    try:
        for target, (_, data, mode) in zip(targets, entries):
            staged.append(_stage(target, data, mode))
        with _dir_lock(directory):
            for tmp, target in zip(staged, targets):
                _check_target(target, overwrite)  # again, under the lock
                if overwrite:
                    os.replace(tmp, target)
                else:
                    try:
                        os.link(tmp, target)  # atomic "create if absent"
                    except FileExistsError:
                        raise WouldOverwriteError(f"{target}: already exists (created meanwhile); csrlearn never "
                                                  f"overwrites it: choose another name or pass --force") from None
                placed.append(target)
        _fsync_dir(directory)
    except OSError as e:
        if placed and overwrite:
            raise CsrLearnError(f"{target}: writing failed ({e.strerror}) after "
                                f"{', '.join(map(str, placed))} was replaced: run again") from None
        raise CsrLearnError(f"{target}: writing failed ({e.strerror}); nothing was changed") from None
    except BaseException:
        if not overwrite:
            for target in placed:  # ours, just created: never leave half a group behind
                target.unlink(missing_ok=True)
        raise
    finally:
        for tmp in staged:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
    return targets


def _check_target(target: Path, overwrite: bool) -> None:
    if target.is_symlink():
        raise WouldOverwriteError(f"{target}: is a symbolic link; csrlearn never writes through a link: "
                                  f"remove it or choose another name")
    if target.is_dir():
        raise WouldOverwriteError(f"{target}: is a directory: choose another name")
    if not overwrite and target.exists():
        raise WouldOverwriteError(f"{target}: already exists; csrlearn never overwrites it: choose another name "
                                  f"or pass --force (overwrite=True)")


def _stage(target: Path, data: bytes, mode: int) -> Path:
    """``data`` in a new hidden file beside ``target``, mode exact from the first byte, flushed to disk."""
    directory = target.parent
    tmp = directory / f".{target.name}.{os.urandom(6).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, mode)
    except OSError as e:
        raise CsrLearnError(f"{target}: cannot write in {directory or '.'} ({e.strerror}); nothing was changed") from None
    try:
        os.fchmod(fd, mode)  # the umask may have removed bits, never added: make it exact
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


@contextlib.contextmanager
def _dir_lock(directory: Path) -> Iterator[None]:
    """An exclusive flock on the directory itself (no lock file to leave behind); a no-op where unsupported."""
    try:
        import fcntl
        fd = os.open(directory or ".", os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def key_pem(key: Any, *, passphrase: str | bytes | None = None, der: bool = False) -> bytes:
    """A private key as PKCS#8 (PEM or DER), encrypted with the best available cipher if a passphrase is given.

    PKCS#8 because every tool reads it and it holds RSA, EC and Ed25519 alike.
    """
    pw = _as_bytes(passphrase)
    enc = serialization.BestAvailableEncryption(pw) if pw else serialization.NoEncryption()
    fmt = serialization.Encoding.DER if der else serialization.Encoding.PEM
    return key.private_bytes(fmt, serialization.PrivateFormat.PKCS8, enc)


def save_key(key: Any, path: str | os.PathLike, *, passphrase: str | bytes | None = None,
             overwrite: bool = False, der: bool = False) -> Path:
    """Save a private key as PKCS#8, mode 0600 from the first byte, atomically, never over an existing file.

    Equivalent to the ``-keyout`` half of ``openssl req -newkey … -nodes`` (``-nodes``: no passphrase);
    with ``passphrase`` the key is encrypted (AES-256), as openssl does without ``-nodes``.
    """
    key = getattr(key, "obj", key)
    return write_atomic(path, key_pem(key, passphrase=passphrase, der=der), mode=0o600, overwrite=overwrite)


def save(obj: Any, path: str | os.PathLike, *, der: bool = False, overwrite: bool = False) -> Path:
    """Save a CSR, certificate, public key (or a private key, 0600) as PEM, or DER with ``der=True``.

    ``bytes`` (for instance a full chain) are written as they are.
    """
    obj = getattr(obj, "obj", obj)
    if isinstance(obj, (bytes, bytearray)):
        return write_atomic(path, bytes(obj), overwrite=overwrite)
    if hasattr(obj, "private_bytes"):
        return save_key(obj, path, overwrite=overwrite, der=der)
    encoding = serialization.Encoding.DER if der else serialization.Encoding.PEM
    if isinstance(obj, (x509.Certificate, x509.CertificateSigningRequest)):
        data = obj.public_bytes(encoding)
    elif hasattr(obj, "public_bytes"):
        data = obj.public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        raise TypeError(f"cannot save a {type(obj).__name__}")
    return write_atomic(path, data, overwrite=overwrite)
