"""Read a CSR, certificate or key back, field by field — ``openssl req|x509|pkey -noout -text``.

``describe(obj)`` returns a small frozen result (``CsrInfo``, ``CertificateInfo`` or ``KeyInfo``) that
prints as a table in a terminal, as HTML in a notebook, and as JSON with ``to_dict()`` (the shape
``csrlearn decode --json`` prints).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.x509.oid import AttributeOID, ExtensionOID

from .errors import InputError
from .keys import KeyParams, key_params
from .names import san_to_dict

__all__ = ["describe", "CsrInfo", "CertificateInfo", "KeyInfo", "kind_of"]


def kind_of(obj: Any) -> str:
    """``csr`` | ``certificate`` | ``private_key`` | ``public_key`` for a cryptography object."""
    if isinstance(obj, x509.CertificateSigningRequest):
        return "csr"
    if isinstance(obj, x509.Certificate):
        return "certificate"
    if hasattr(obj, "private_bytes"):
        return "private_key"
    if hasattr(obj, "public_bytes") and hasattr(obj, "verify"):
        return "public_key"
    raise InputError(f"expected a key, CSR or certificate, but got {type(obj).__name__}")


_KIND_TITLES = {"csr": "CSR", "certificate": "Certificate", "private_key": "Private key", "public_key": "Public key"}


class _Views:
    """Shared display methods: text for terminals, HTML for notebooks (render does the drawing)."""

    def rows(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def __str__(self) -> str:
        from .render import text_table
        return text_table(self.title(), self.rows())

    def _repr_html_(self) -> str:
        from .render import info_html
        return info_html(self)

    def title(self) -> str:
        where = f" — {self.file}#{self.index}" if getattr(self, "file", None) else ""
        return f"{_KIND_TITLES.get(self.kind, self.kind)}{where}"


@dataclass(frozen=True, repr=False)
class KeyInfo(_Views):
    """A key: its type, size and fingerprints. Never its secret parts."""

    kind: str  # private_key | public_key
    key: KeyParams
    spki_sha256: str
    modulus_md5: str | None = None
    encrypted: bool = False
    file: str | None = None
    index: int = 0
    format: str | None = None

    def rows(self) -> list[tuple[str, str]]:
        rows = [("Key", str(self.key)), ("SPKI SHA-256", self.spki_sha256)]
        if self.key.public_exponent is not None:
            rows.append(("Public exponent", str(self.key.public_exponent)))
        if self.modulus_md5:
            rows.append(("Modulus MD5 (openssl pipe)", self.modulus_md5))
        if self.kind == "private_key":
            rows.append(("Encrypted on disk", "yes" if self.encrypted else "no"))
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "index": self.index, "kind": self.kind, "format": self.format,
                "key": self.key.to_dict(), "spki_sha256": self.spki_sha256, "modulus_md5": self.modulus_md5,
                "encrypted": self.encrypted}

    def __repr__(self) -> str:
        return f"KeyInfo({self.kind}, {self.key}, spki_sha256={self.spki_sha256[:16]}…)"


@dataclass(frozen=True, repr=False)
class CsrInfo(_Views):
    """Every field of a CSR (RFC 2986): version, subject, public key, attributes, extensions, signature."""

    subject: str
    sans: tuple[dict[str, str], ...]
    key: KeyParams
    spki_sha256: str
    signature_algorithm: str
    signature_valid: bool
    attributes: tuple[dict[str, str], ...] = ()
    extensions: tuple[dict[str, Any], ...] = ()
    version: int = 1
    modulus_md5: str | None = None
    file: str | None = None
    index: int = 0
    format: str | None = None
    kind: str = field(default="csr")

    def rows(self) -> list[tuple[str, str]]:
        rows = [("Version", f"{self.version} (0x{self.version - 1})"), ("Subject", self.subject or "(empty)"),
                ("SANs", ", ".join(f"{s['type']}:{s['value']}" for s in self.sans) or "(none)"),
                ("Public key", str(self.key)), ("SPKI SHA-256", self.spki_sha256)]
        if self.modulus_md5:
            rows.append(("Modulus MD5 (openssl pipe)", self.modulus_md5))
        for a in self.attributes:
            rows.append((f"Attribute {a['name']}", a["value"]))
        for e in self.extensions:
            rows.append((f"Extension {e['name']}{' (critical)' if e['critical'] else ''}", e["value"]))
        rows += [("Signature algorithm", self.signature_algorithm),
                 ("Signature", "valid" if self.signature_valid else "INVALID: the CSR was altered or is broken")]
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "index": self.index, "kind": "csr", "format": self.format,
                "key": self.key.to_dict(), "spki_sha256": self.spki_sha256, "subject": self.subject,
                "sans": list(self.sans), "signature_algorithm": self.signature_algorithm,
                "signature_valid": self.signature_valid, "attributes": list(self.attributes),
                "extensions": list(self.extensions), "modulus_md5": self.modulus_md5}

    def __repr__(self) -> str:
        return f"CsrInfo({self.subject!r}, {self.key}, sans={len(self.sans)}, signature_valid={self.signature_valid})"


@dataclass(frozen=True, repr=False)
class CertificateInfo(_Views):
    """A certificate's subject, issuer, validity, SANs, key and extensions."""

    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    sans: tuple[dict[str, str], ...]
    key: KeyParams
    spki_sha256: str
    signature_algorithm: str
    extensions: tuple[dict[str, Any], ...] = ()
    is_ca: bool = False
    self_signed: bool = False
    modulus_md5: str | None = None
    file: str | None = None
    index: int = 0
    format: str | None = None
    role: str = ""
    kind: str = field(default="certificate")

    def rows(self) -> list[tuple[str, str]]:
        rows = [("Subject", self.subject or "(empty)"), ("Issuer", self.issuer), ("Serial", self.serial),
                ("Valid from", self.not_before), ("Valid until", self.not_after),
                ("SANs", ", ".join(f"{s['type']}:{s['value']}" for s in self.sans) or "(none)"),
                ("Public key", str(self.key)), ("SPKI SHA-256", self.spki_sha256)]
        if self.modulus_md5:
            rows.append(("Modulus MD5 (openssl pipe)", self.modulus_md5))
        rows.append(("CA certificate", "yes" if self.is_ca else "no"))
        if self.role == "chain":
            rows.append(("Position", "chain (not the first certificate in its file)"))
        rows.append(("Signature algorithm", self.signature_algorithm))
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "index": self.index, "kind": "certificate", "format": self.format,
                "role": self.role, "key": self.key.to_dict(), "spki_sha256": self.spki_sha256,
                "subject": self.subject, "sans": list(self.sans), "signature_algorithm": self.signature_algorithm,
                "issuer": self.issuer, "serial": self.serial, "not_before": self.not_before,
                "not_after": self.not_after, "is_ca": self.is_ca, "extensions": list(self.extensions),
                "modulus_md5": self.modulus_md5}

    def __repr__(self) -> str:
        return f"CertificateInfo({self.subject!r}, issuer={self.issuer!r}, {self.key}, not_after={self.not_after})"


def describe(obj: Any) -> CsrInfo | CertificateInfo | KeyInfo:
    """Decode a CSR, certificate or key (an ``Item``, a cryptography object, or a path to one item)."""
    from .files import Item, is_source, load_one
    from .match import fingerprint, modulus_md5_or_none

    if is_source(obj):
        obj = load_one(obj)
    meta: dict[str, Any] = {}
    if isinstance(obj, Item):
        meta = {"file": obj.path, "index": obj.index, "format": obj.format}
        encrypted, role = obj.encrypted, obj.role
        obj = obj.obj
    else:
        encrypted, role = False, ""
    kind = kind_of(obj)
    common = dict(key=key_params(obj), spki_sha256=fingerprint(obj), modulus_md5=modulus_md5_or_none(obj), **meta)
    if kind in ("private_key", "public_key"):
        return KeyInfo(kind=kind, encrypted=encrypted, **common)
    extensions, sans = _extensions(obj)
    sig = _sig_name(obj)
    if kind == "csr":
        from .csr import signature_valid
        valid = signature_valid(obj)  # also right for intact SHA-1 signatures (old CSRs)
        return CsrInfo(subject=obj.subject.rfc4514_string(), sans=sans, signature_algorithm=sig,
                       signature_valid=valid, attributes=_attributes(obj), extensions=extensions, **common)
    is_ca = False
    try:
        is_ca = obj.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (x509.ExtensionNotFound, ValueError):
        pass
    return CertificateInfo(
        subject=obj.subject.rfc4514_string(), issuer=obj.issuer.rfc4514_string(), serial=format(obj.serial_number, "X"),
        not_before=_iso(obj, "not_valid_before"), not_after=_iso(obj, "not_valid_after"), sans=sans,
        signature_algorithm=sig, extensions=extensions, is_ca=is_ca, self_signed=obj.issuer == obj.subject,
        role=role, **common)


def _iso(cert: x509.Certificate, name: str) -> str:
    value: _dt.datetime = getattr(cert, name + "_utc", None) or getattr(cert, name).replace(tzinfo=_dt.timezone.utc)
    return value.isoformat().replace("+00:00", "Z")


def _sig_name(obj: Any) -> str:
    oid = obj.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def _extensions(obj: Any) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, str], ...]]:
    try:
        exts = list(obj.extensions)
    except (ValueError, x509.DuplicateExtension) as e:
        return ({"oid": "?", "name": "unreadable", "critical": False, "value": str(e)},), ()
    out, sans = [], ()
    for ext in exts:
        name = getattr(ext.oid, "_name", ext.oid.dotted_string)
        if ext.oid == ExtensionOID.SUBJECT_ALTERNATIVE_NAME:
            sans = tuple(san_to_dict(gn) for gn in ext.value)
            value = ", ".join(f"{s['type']}:{s['value']}" for s in sans)
        else:
            value = _ext_value(ext.value)
        out.append({"oid": ext.oid.dotted_string, "name": name, "critical": ext.critical, "value": value})
    return tuple(out), sans


def _ext_value(value: Any) -> str:
    if isinstance(value, x509.BasicConstraints):
        return f"CA:{'TRUE' if value.ca else 'FALSE'}" + (f", pathlen:{value.path_length}" if value.path_length is not None else "")
    if isinstance(value, x509.KeyUsage):
        names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                 "key_agreement", "key_cert_sign", "crl_sign"]
        return ", ".join(n for n in names if getattr(value, n))
    if isinstance(value, x509.ExtendedKeyUsage):
        return ", ".join(getattr(o, "_name", o.dotted_string) for o in value)
    if isinstance(value, (x509.SubjectKeyIdentifier,)):
        return value.digest.hex(":").upper()
    if isinstance(value, x509.AuthorityKeyIdentifier) and value.key_identifier:
        return value.key_identifier.hex(":").upper()
    if isinstance(value, x509.UnrecognizedExtension):
        return value.value.hex()
    text = repr(value)
    return text if len(text) < 300 else text[:297] + "..."


_ATTR_NAMES = {AttributeOID.CHALLENGE_PASSWORD: "challengePassword",
               AttributeOID.UNSTRUCTURED_NAME: "unstructuredName"}
_EXTENSION_REQUEST = "1.2.840.113549.1.9.14"


def _attributes(csr: x509.CertificateSigningRequest) -> tuple[dict[str, str], ...]:
    out = []
    try:
        attrs = list(csr.attributes)
    except (ValueError, AttributeError):
        return ()
    for attr in attrs:
        if attr.oid.dotted_string == _EXTENSION_REQUEST:
            continue
        raw = attr.value
        value = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        out.append({"oid": attr.oid.dotted_string, "name": _ATTR_NAMES.get(attr.oid, attr.oid.dotted_string),
                    "value": value})
    return tuple(out)
