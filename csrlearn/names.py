"""Step 2 of a CSR: who the certificate is for — the subject and the Subject Alternative Names.

``Subject.parse("/C=US/O=Acme/CN=www.example.com")`` reads openssl's ``-subj`` syntax;
``parse_san("203.0.113.7")`` turns a friendly string into the right typed SAN (here an IP address).
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, fields
from typing import Any, Iterable

from cryptography import x509
from cryptography.x509.oid import NameOID

from .errors import ValidationError

__all__ = ["Subject", "parse_san", "parse_sans", "san_to_dict", "san_to_str", "file_stem"]

# field -> (OID, openssl short name, RFC 5280 upper bound). Order is the order openssl users write.
_FIELDS: dict[str, tuple[x509.ObjectIdentifier, str, int]] = {
    "country": (NameOID.COUNTRY_NAME, "C", 2),
    "state": (NameOID.STATE_OR_PROVINCE_NAME, "ST", 128),
    "locality": (NameOID.LOCALITY_NAME, "L", 128),
    "organization": (NameOID.ORGANIZATION_NAME, "O", 64),
    "organizational_unit": (NameOID.ORGANIZATIONAL_UNIT_NAME, "OU", 64),
    "common_name": (NameOID.COMMON_NAME, "CN", 64),
    "email": (NameOID.EMAIL_ADDRESS, "emailAddress", 255),
}
_BY_SHORT = {short.lower(): name for name, (_, short, _) in _FIELDS.items()}
_BY_SHORT.update({"email": "email", "e": "email", "s": "state", "commonname": "common_name",
                  "organizationname": "organization", "organizationalunitname": "organizational_unit",
                  "localityname": "locality", "stateorprovincename": "state", "countryname": "country"})
_BY_OID = {oid: name for name, (oid, _, _) in _FIELDS.items()}


@dataclass(frozen=True)
class Subject:
    """The distinguished name a CSR asks for. Every field is optional; values are validated.

    >>> str(Subject(common_name="www.example.com", country="us"))
    '/C=US/CN=www.example.com'
    """

    common_name: str | None = None
    organization: str | None = None
    organizational_unit: str | None = None
    locality: str | None = None
    state: str | None = None
    country: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if not isinstance(value, str):
                raise ValidationError(f"subject {f.name} must be text, but it was {type(value).__name__}")
            value = value.strip()
            _, short, upper = _FIELDS[f.name]
            if f.name == "country":
                value = value.upper()
                if not re.fullmatch(r"[A-Z]{2}", value):
                    raise ValidationError(
                        f"country (C) must be a two-letter ISO 3166 code such as US or DE, but it was {value!r}")
            if not value:
                raise ValidationError(f"subject {short} is empty: leave it out instead")
            if len(value) > upper:
                raise ValidationError(
                    f"subject {short} must be at most {upper} characters (RFC 5280), but it has {len(value)}")
            if any(ord(c) < 32 for c in value):
                raise ValidationError(f"subject {short} contains a control character")
            object.__setattr__(self, f.name, value)

    @classmethod
    def parse(cls, text: str) -> "Subject":
        """Read openssl's ``-subj`` syntax (``/C=US/O=Acme/CN=x``) or RFC 4514 (``CN=x,O=Acme,C=US``)."""
        text = text.strip()
        if not text:
            return cls()
        if text.startswith("/"):
            parts = [p for p in re.split(r"(?<!\\)/", text[1:]) if p]
        else:
            parts = [p.strip() for p in re.split(r"(?<!\\),", text) if p.strip()]
        values: dict[str, str] = {}
        for part in parts:
            if "=" not in part:
                raise ValidationError(f"subject part {part!r} has no '=': write it as /KEY=value, e.g. /CN=www.example.com")
            key, _, value = part.partition("=")
            name = _BY_SHORT.get(key.strip().lower())
            if name is None:
                raise ValidationError(
                    f"unknown subject field {key!r}: use C, ST, L, O, OU, CN or emailAddress")
            if name in values:
                raise ValidationError(f"subject field {key} is given twice")
            values[name] = value.replace("\\/", "/").replace("\\,", ",")
        return cls(**values)

    @classmethod
    def from_name(cls, name: x509.Name) -> "Subject":
        """The fields of a cryptography ``Name`` that csrlearn knows (others are ignored)."""
        values: dict[str, str] = {}
        for attr in name:
            field = _BY_OID.get(attr.oid)
            if field and field not in values and isinstance(attr.value, str):
                values[field] = attr.value
        try:
            return cls(**values)
        except ValidationError:  # a name from the wild may break our rules; keep it as it is
            obj = cls.__new__(cls)
            for f in fields(cls):
                object.__setattr__(obj, f.name, values.get(f.name))
            return obj

    def to_name(self) -> x509.Name:
        """The x509 Name, in openssl's customary order C, ST, L, O, OU, CN, emailAddress."""
        attrs = []
        for field, (oid, _, _) in _FIELDS.items():
            value = getattr(self, field)
            if value is not None:
                attrs.append(x509.NameAttribute(oid, value))
        return x509.Name(attrs)

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def openssl(self) -> str:
        """The ``-subj`` string openssl takes (``/C=US/CN=x``), with ``/`` escaped inside values."""
        out = []
        for field, (_, short, _) in _FIELDS.items():
            value = getattr(self, field)
            if value is not None:
                out.append(f"/{short}={value.replace('/', chr(92) + '/')}")
        return "".join(out)

    __str__ = openssl

    def rfc4514(self) -> str:
        return self.to_name().rfc4514_string()


_DNS_RE = re.compile(r"^(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$")


def parse_san(value: str | x509.GeneralName) -> x509.GeneralName:
    """Turn a friendly SAN string into a typed GeneralName.

    ``"DNS:x"``, ``"IP:x"``, ``"email:x"``, ``"URI:x"`` (openssl's prefixes) are taken as written;
    otherwise: an IPv4/IPv6 address -> IP, ``scheme://`` -> URI, ``a@b`` -> email, else a DNS name.
    """
    if isinstance(value, x509.GeneralName):
        return value
    if not isinstance(value, str):
        raise ValidationError(f"a SAN must be text, but it was {type(value).__name__}")
    raw = value.strip()
    if not raw:
        raise ValidationError("a SAN is empty")
    prefix, sep, rest = raw.partition(":")
    kind = prefix.lower() if sep else ""
    if kind in ("dns", "ip", "email", "uri"):
        raw = rest.strip()
    elif "://" in raw:
        kind = "uri"
    else:
        try:
            ipaddress.ip_address(raw)
            kind = "ip"
        except ValueError:
            kind = "email" if "@" in raw else "dns"
    if kind == "ip":
        try:
            return x509.IPAddress(ipaddress.ip_address(raw))
        except ValueError as e:
            raise ValidationError(f"SAN {value!r} is not an IP address") from e
    if kind == "uri":
        return x509.UniformResourceIdentifier(raw)
    if kind == "email":
        if raw.count("@") != 1 or raw.startswith("@") or raw.endswith("@") or " " in raw:
            raise ValidationError(f"SAN {value!r} is not an email address such as admin@example.com")
        return x509.RFC822Name(raw)
    try:
        ascii_name = raw if raw.isascii() else raw.encode("idna").decode("ascii")
    except UnicodeError as e:
        raise ValidationError(f"SAN {value!r} is not a valid internationalised domain name") from e
    if len(ascii_name) > 253 or not _DNS_RE.match(ascii_name):
        raise ValidationError(
            f"SAN {value!r} is not a DNS name: use letters, digits, hyphens and dots (a wildcard only as '*.' at the start)")
    return x509.DNSName(ascii_name.lower())


def parse_sans(values: Iterable[str | x509.GeneralName] | str | None) -> list[x509.GeneralName]:
    """Several SANs: a list, or one string separated by commas, spaces or new lines. Duplicates dropped."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in re.split(r"[\s,]+", values) if v]
    out: list[x509.GeneralName] = []
    for v in values:
        gn = parse_san(v)
        if gn not in out:
            out.append(gn)
    return out


_SAN_TYPES = {x509.DNSName: "DNS", x509.IPAddress: "IP", x509.RFC822Name: "email",
              x509.UniformResourceIdentifier: "URI"}


def san_to_dict(gn: x509.GeneralName) -> dict[str, str]:
    """``{"type": "DNS"|"IP"|"email"|"URI"|..., "value": ...}`` as ``decode --json`` prints it."""
    kind = _SAN_TYPES.get(type(gn), type(gn).__name__)
    value: Any = gn.value
    if isinstance(gn, x509.DirectoryName):
        value = gn.value.rfc4514_string()
    elif isinstance(gn, x509.OtherName):
        value = f"{gn.type_id.dotted_string}:{gn.value.hex()}"
    elif isinstance(gn, x509.RegisteredID):
        value = gn.value.dotted_string
    return {"type": kind, "value": str(value)}


def san_to_str(gn: x509.GeneralName) -> str:
    """``DNS:www.example.com`` — the way openssl writes a SAN."""
    d = san_to_dict(gn)
    return f"{d['type']}:{d['value']}"


def file_stem(subject: Subject | None, sans: Iterable[str | x509.GeneralName] = (), *, name: str | None = None) -> str:
    """NAME in NAME.key and NAME.csr: ``name`` if given, else the CN, else the first SAN, as a safe file name.

    ``*.example.com`` becomes ``star.example.com``; anything but letters, digits, dots, hyphens and
    underscores becomes ``_``; no leading dot (a hidden file) and at most 100 characters.
    """
    first = next(iter(sans), None)
    raw = name or (subject.common_name if subject else None) or str(getattr(first, "value", first or ""))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", raw.strip().replace("*", "star")).strip("._")
    return stem[:100] or "request"
