"""Look inside: the DER bytes of a CSR, certificate or key, field by field — ``openssl asn1parse``, annotated.

Every key, CSR and certificate is DER: a tree of TLV elements (one Tag byte, a Length, then the Value
bytes). ``byte_map(obj)`` walks that tree with a small parser of its own and names each element
with its field name from RFC 2986 (CSRs) or RFC 5280 (certificates, public keys), so a learner can
see which bytes are the subject, which are the public key and which are the signature:

    >>> import csrlearn as cl
    >>> key = cl.generate_key("ec")
    >>> m = cl.byte_map(cl.build_csr(key, cl.Subject(common_name="www.example.com"), ["www.example.com"]))
    >>> [n.name for n in m.nodes[:3]]
    ['CertificationRequest', 'certificationRequestInfo', 'version']

Elements that wrap more DER (the RSA key inside the public-key BIT STRING, an extension inside its
OCTET STRING, an ECDSA signature's r and s) are opened too. Secret parts of a private key are named
but never shown: their values read ``(secret: not shown)`` and the views mask their bytes.
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError, where

__all__ = ["byte_map", "ByteMap", "Asn1Node", "oid_name", "OID_NAMES"]

# Deeper than anything real (a certificate nests about 9 levels): refuses hostile input before recursion does.
_MAX_DEPTH = 48

SECRET = "(secret: not shown)"

# Dotted OID -> the name RFCs and openssl use. Only what keys, CSRs and TLS certificates carry;
# anything else falls back to cryptography's table, then to the dotted string.
OID_NAMES: dict[str, str] = {
    # subject attributes (RFC 5280 appendix A, PKCS#9)
    "2.5.4.3": "commonName", "2.5.4.4": "surname", "2.5.4.5": "serialNumber", "2.5.4.6": "countryName",
    "2.5.4.7": "localityName", "2.5.4.8": "stateOrProvinceName", "2.5.4.9": "streetAddress",
    "2.5.4.10": "organizationName", "2.5.4.11": "organizationalUnitName", "2.5.4.12": "title",
    "2.5.4.15": "businessCategory", "2.5.4.17": "postalCode", "2.5.4.42": "givenName",
    "2.5.4.97": "organizationIdentifier", "0.9.2342.19200300.100.1.25": "domainComponent",
    "1.2.840.113549.1.9.1": "emailAddress", "1.2.840.113549.1.9.2": "unstructuredName",
    "1.2.840.113549.1.9.7": "challengePassword", "1.2.840.113549.1.9.14": "extensionRequest",
    "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionCountryName",
    # public-key algorithms and curves
    "1.2.840.113549.1.1.1": "rsaEncryption", "1.2.840.113549.1.1.10": "RSASSA-PSS",
    "1.2.840.113549.1.1.8": "mgf1", "1.2.840.10045.2.1": "id-ecPublicKey",
    "1.2.840.10045.3.1.7": "prime256v1 (P-256)", "1.3.132.0.34": "secp384r1 (P-384)",
    "1.3.132.0.35": "secp521r1 (P-521)", "1.3.132.0.10": "secp256k1", "1.3.101.112": "Ed25519",
    "1.3.101.113": "Ed448", "1.3.101.110": "X25519", "1.2.840.10040.4.1": "dsa",
    # signature algorithms
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption", "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption", "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption", "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1", "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256", "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
    "1.2.840.10045.4.3.4": "ecdsa-with-SHA512", "1.2.840.10040.4.3": "dsa-with-SHA1",
    "2.16.840.1.101.3.4.3.2": "dsa-with-SHA256",
    # hashes
    "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512", "1.2.840.113549.2.5": "md5",
    # extensions (RFC 5280 section 4.2)
    "2.5.29.14": "subjectKeyIdentifier", "2.5.29.15": "keyUsage", "2.5.29.17": "subjectAltName",
    "2.5.29.18": "issuerAltName", "2.5.29.19": "basicConstraints", "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints", "2.5.29.32": "certificatePolicies",
    "2.5.29.35": "authorityKeyIdentifier", "2.5.29.37": "extKeyUsage",
    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess", "1.3.6.1.4.1.11129.2.4.2": "signedCertificateTimestampList",
    "1.3.6.1.5.5.7.1.24": "tlsFeature (OCSP must-staple)",
    "1.3.6.1.5.5.7.3.1": "serverAuth", "1.3.6.1.5.5.7.3.2": "clientAuth", "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection", "1.3.6.1.5.5.7.48.1": "ocsp", "1.3.6.1.5.5.7.48.2": "caIssuers",
    "2.23.140.1.2.1": "domain-validated", "2.23.140.1.2.2": "organization-validated",
    # key encryption (PKCS#5 / PKCS#8)
    "1.2.840.113549.1.5.13": "PBES2", "1.2.840.113549.1.5.12": "PBKDF2",
    "1.2.840.113549.2.9": "hmacWithSHA256", "2.16.840.1.101.3.4.1.42": "aes-256-cbc",
    "2.16.840.1.101.3.4.1.2": "aes-128-cbc", "1.2.840.113549.3.7": "des-ede3-cbc",
}

# Short names for subject attributes, as openssl's -subj writes them.
_SHORT = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
          "1.2.840.113549.1.9.1": "emailAddress", "2.5.4.5": "serialNumber",
          "0.9.2342.19200300.100.1.25": "DC"}

_UNIVERSAL = {
    0x01: "BOOLEAN", 0x02: "INTEGER", 0x03: "BIT STRING", 0x04: "OCTET STRING", 0x05: "NULL",
    0x06: "OBJECT IDENTIFIER", 0x0A: "ENUMERATED", 0x0C: "UTF8String", 0x10: "SEQUENCE", 0x11: "SET",
    0x12: "NumericString", 0x13: "PrintableString", 0x14: "T61String", 0x16: "IA5String", 0x17: "UTCTime",
    0x18: "GeneralizedTime", 0x1A: "VisibleString", 0x1C: "UniversalString", 0x1E: "BMPString",
}
_STRING_CODECS = {0x0C: "utf-8", 0x12: "ascii", 0x13: "ascii", 0x14: "latin-1", 0x16: "ascii", 0x1A: "ascii",
                  0x1C: "utf-32-be", 0x1E: "utf-16-be"}

_RSA, _EC, _DSA = "1.2.840.113549.1.1.1", "1.2.840.10045.2.1", "1.2.840.10040.4.1"
_CURVE_KEYS = {"1.3.101.112": "Ed25519", "1.3.101.113": "Ed448", "1.3.101.110": "X25519", "1.3.101.111": "X448"}


def oid_name(dotted: str) -> str:
    """The readable name of an OID (``2.5.4.3`` -> ``commonName``), or the dotted string if unknown."""
    if dotted in OID_NAMES:
        return OID_NAMES[dotted]
    try:
        from cryptography.x509 import ObjectIdentifier
        name = ObjectIdentifier(dotted)._name
    except Exception:  # a malformed OID string or a private attribute that moved: fall back
        return dotted
    return dotted if not name or name == "Unknown OID" else name


# ---------------------------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Asn1Node:
    """One TLV element: where it starts, how long its header and content are, and what it means.

    ``offset`` is where the tag byte sits; ``header_length`` counts tag and length bytes;
    ``length`` the content bytes after them. ``tag`` is the ASN.1 type (``SEQUENCE``, ``[0]``...),
    ``name`` the field name from the RFC (empty when no schema names it), ``value`` a readable value.
    A node with ``header_length == 0`` is the unused-bits byte that starts every BIT STRING.
    """

    offset: int
    header_length: int
    length: int
    depth: int
    tag: str
    name: str
    value: str
    secret: bool = False  # a private-key secret: its value is not shown and views mask its bytes
    has_children: bool = False  # a SEQUENCE/SET/[n], or a string wrapping more DER that was opened

    @property
    def content_offset(self) -> int:
        return self.offset + self.header_length

    @property
    def end(self) -> int:
        """One past the last byte of this element."""
        return self.offset + self.header_length + self.length

    def to_dict(self) -> dict[str, Any]:
        """The ``asn1 --json`` shape of one node."""
        return {"offset": self.offset, "header_length": self.header_length, "length": self.length,
                "depth": self.depth, "tag": self.tag, "name": self.name, "value": self.value}


@dataclass(frozen=True, repr=False)
class ByteMap:
    """The DER of one object as a list of named TLV nodes in document order.

    ``str(m)`` is an indented text tree (like ``openssl asn1parse``, with field names); in a notebook the
    map shows as a tree plus a colour-coded hex dump in which each field's bytes are highlighted and
    labelled. ``to_dict()`` is what ``csrlearn asn1 --json`` prints.
    """

    nodes: tuple[Asn1Node, ...]
    der: bytes = field(repr=False)
    kind: str = "unknown"  # csr | certificate | private_key | encrypted_private_key | public_key | unknown
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [n.to_dict() for n in self.nodes]}

    def find(self, name: str) -> list[Asn1Node]:
        """Every node with this field name, e.g. ``m.find("signature")``."""
        return [n for n in self.nodes if n.name == name]

    def parents(self) -> tuple[int | None, ...]:
        """For each node, the index of the node that contains it (None for top-level nodes)."""
        out: list[int | None] = []
        stack: list[int] = []
        for i, n in enumerate(self.nodes):
            while stack and self.nodes[stack[-1]].depth >= n.depth:
                stack.pop()
            out.append(stack[-1] if stack else None)
            stack.append(i)
        return tuple(out)

    def path(self, index: int) -> str:
        """``certificationRequestInfo › subject › …``: the named ancestors of node ``index``."""
        parents = self.parents()
        names, i = [], index
        while i is not None:
            n = self.nodes[i]
            names.append(n.name or n.tag)
            i = parents[i]
        return " › ".join(reversed(names))

    def __str__(self) -> str:
        from .render import bytemap_text
        return bytemap_text(self)

    def _repr_html_(self) -> str:
        from .render import bytemap_html
        return bytemap_html(self)

    def __repr__(self) -> str:
        src = f" {self.source}" if self.source else ""
        return f"<ByteMap {self.kind}{src}: {len(self.der)} bytes, {len(self.nodes)} nodes>"


# ---------------------------------------------------------------------------------------------- parsing

class _T:
    """A mutable node while parsing and naming; frozen into an Asn1Node at the end."""

    __slots__ = ("offset", "hl", "length", "cls", "constructed", "number", "tagbyte", "children", "name", "value",
                 "secret", "pseudo", "content", "depth")

    def __init__(self, offset: int, hl: int, length: int, tagbyte: int, cls: int, constructed: bool, number: int,
                 content: bytes) -> None:
        self.offset, self.hl, self.length = offset, hl, length
        self.tagbyte, self.cls, self.constructed, self.number = tagbyte, cls, constructed, number
        self.content = content
        self.depth = 0  # set by _parse_one: how deep in the document (the nesting limit counts from the top)
        self.children: list[_T] | None = None
        self.name = ""
        self.value = ""
        self.secret = False
        self.pseudo = False  # the unused-bits byte of an opened BIT STRING

    @property
    def universal(self) -> int | None:
        return self.number if self.cls == 0 else None

    def kids(self) -> list["_T"]:
        return self.children or []

    def tag_text(self) -> str:
        if self.pseudo:
            return "unused bits"
        if self.cls == 0:
            return _UNIVERSAL.get(self.number, f"UNIVERSAL {self.number}")
        if self.cls == 2:
            return f"[{self.number}]"
        return f"[{'APPLICATION' if self.cls == 1 else 'PRIVATE'} {self.number}]"

    def oid(self) -> str | None:
        return _oid_text(self.content) if self.universal == 6 and not self.constructed else None


class _DerError(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"byte {offset}: {message}")


def _parse(der: bytes, start: int, end: int, depth: int) -> list[_T]:
    """All TLV elements between start and end, which they must fill exactly."""
    if depth > _MAX_DEPTH:
        raise _DerError(start, f"nested more than {_MAX_DEPTH} levels deep: not a key, CSR or certificate")
    out: list[_T] = []
    pos = start
    while pos < end:
        node = _parse_one(der, pos, end, depth)
        out.append(node)
        pos = node.offset + node.hl + node.length
    return out


def _parse_one(der: bytes, pos: int, end: int, depth: int) -> _T:
    start = pos
    tagbyte = der[pos]
    cls, constructed, number = tagbyte >> 6, bool(tagbyte & 0x20), tagbyte & 0x1F
    pos += 1
    if number == 0x1F:  # high tag number form: base-128 digits
        number = 0
        while True:
            if pos >= end:
                raise _DerError(start, "the tag runs past the end of the data (truncated?)")
            b = der[pos]
            pos += 1
            number = (number << 7) | (b & 0x7F)
            if not b & 0x80:
                break
            if number > 1 << 28:
                raise _DerError(start, "absurdly large tag number: not DER")
    if pos >= end:
        raise _DerError(start, "the element has no length byte (truncated?)")
    first = der[pos]
    pos += 1
    if first == 0x80:
        raise _DerError(start, "indefinite length (BER, not DER): convert it with openssl first")
    if first & 0x80:
        n = first & 0x7F
        if n > 4 or pos + n > end:
            raise _DerError(start, "the length field runs past the end of the data (truncated?)")
        length = int.from_bytes(der[pos:pos + n], "big")
        pos += n
    else:
        length = first
    if pos + length > end:
        raise _DerError(start, f"the element says it holds {length} bytes but only {end - pos} remain (truncated?)")
    node = _T(start, pos - start, length, tagbyte, cls, constructed, number, der[pos:pos + length])
    node.depth = depth
    if constructed:
        node.children = _parse(der, pos, pos + length, depth + 1)
    else:
        node.value = _value(node)
    return node


def _open(der: bytes, node: _T, depth: int) -> bool:
    """Open the DER wrapped inside a primitive OCTET or BIT STRING (an extension value, a public key).

    Returns False, leaving the node as it was, when the content is not exactly one DER element.
    """
    if node.constructed or node.children is not None:
        return False
    skip = 1 if node.universal == 3 else 0
    start = node.offset + node.hl + skip
    end = node.offset + node.hl + node.length
    if skip and (node.length < 2 or der[node.offset + node.hl] != 0):
        return False
    try:
        inner = _parse(der, start, end, depth + 1)
    except (_DerError, IndexError):
        return False
    if len(inner) != 1:
        return False
    kids = []
    if skip:
        pad = _T(node.offset + node.hl, 0, 1, 0, 0, False, 0, der[start - 1:start])
        pad.pseudo, pad.name, pad.value = True, "unusedBits", "0"
        kids.append(pad)
    node.children = kids + inner
    return True


def _value(node: _T) -> str:
    """A readable value for a primitive element, from its content bytes alone."""
    c = node.content
    if node.cls != 0:
        return _hex_preview(c)
    t = node.number
    if t == 1:
        return "TRUE" if c and c[0] else "FALSE"
    if t in (2, 10):
        if not c:
            return "(empty)"
        v = int.from_bytes(c, "big", signed=True)
        if v.bit_length() <= 64:
            return str(v)
        mag = c.lstrip(b"\x00")
        return f"{v.bit_length()}-bit number 0x{mag[:6].hex().upper()}…{mag[-2:].hex().upper()}"
    if t == 3:
        unused = c[0] if c else 0
        return f"{max(len(c) - 1, 0)} bytes, {unused} unused bits: {_hex_preview(c[1:])}"
    if t == 4:
        return f"{len(c)} bytes: {_hex_preview(c)}"
    if t == 5:
        return ""
    if t == 6:
        dotted = _oid_text(c)
        name = oid_name(dotted)
        return dotted if name == dotted else f"{name} ({dotted})"
    if t in _STRING_CODECS:
        return c.decode(_STRING_CODECS[t], "replace")
    if t in (0x17, 0x18):
        text = c.decode("ascii", "replace")
        when = _time(text, t == 0x17)
        return f"{text} ({when})" if when else text
    return _hex_preview(c)


def _hex_preview(c: bytes, n: int = 12) -> str:
    return c.hex(" ").upper() if len(c) <= n else c[:n].hex(" ").upper() + f" … ({len(c)} bytes)"


def _oid_text(c: bytes) -> str:
    if not c:
        return "(empty OID)"
    arcs, v = [], 0
    for b in c:
        v = (v << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(v)
            v = 0
    if not arcs:
        return "(bad OID)"
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(map(str, head + arcs[1:]))


def _time(text: str, utc: bool) -> str:
    try:
        if utc:  # RFC 5280 4.1.2.5.1: YY of 50 or more is 19YY, below 50 is 20YY (strptime's %y pivots at 69)
            yy = int(text[:2])
            text = f"{1900 + yy if yy >= 50 else 2000 + yy}{text[2:]}"
        t = _dt.datetime.strptime(text, "%Y%m%d%H%M%SZ")
    except ValueError:
        return ""
    return t.strftime("%Y-%m-%d %H:%M:%S UTC")


# ---------------------------------------------------------------------------------------------- naming
# Each function names one RFC structure; the field names are the RFCs' own (RFC 2986, RFC 5280,
# RFC 5208/5958 for PKCS#8, RFC 8017 for RSA keys, RFC 5915 for EC keys).

class _Namer:
    def __init__(self, der: bytes) -> None:
        self.der = der

    # --- building blocks
    def alg_id(self, n: _T, name: str) -> str:
        """AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }; returns the OID."""
        n.name = name
        kids = n.kids()
        oid = ""
        if kids and kids[0].universal == 6:
            kids[0].name = "algorithm"
            oid = kids[0].oid() or ""
            n.value = oid_name(oid)
        if len(kids) > 1:
            kids[1].name = "parameters"
            if kids[1].universal == 6:  # an EC key's named curve
                n.value += f", {oid_name(kids[1].oid() or '')}"
        return oid

    def name_(self, n: _T, name: str) -> None:
        """Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET OF AttributeTypeAndValue."""
        n.name = name
        parts = []
        for rdn in n.kids():
            rdn.name = "RelativeDistinguishedName"
            rparts = []
            for atv in rdn.kids():
                atv.name = "AttributeTypeAndValue"
                kids = atv.kids()
                if len(kids) == 2:
                    kids[0].name, kids[1].name = "type", "value"
                    oid = kids[0].oid() or ""
                    label = _SHORT.get(oid, oid_name(oid))
                    rparts.append(f"{label}={kids[1].value}")
                    atv.value = rparts[-1]
            rdn.value = "+".join(rparts)
            parts.append(rdn.value)
        n.value = ", ".join(parts) if parts else "(empty)"

    def spki(self, n: _T, name: str) -> None:
        """SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }."""
        n.name = name
        kids = n.kids()
        if len(kids) != 2:
            return
        oid = self.alg_id(kids[0], "algorithm")
        key = kids[1]
        key.name = "subjectPublicKey"
        n.value = kids[0].value
        if oid == _RSA and self.open(key):
            self.rsa_public(key.kids()[1], "RSAPublicKey")
        elif oid == _EC and key.content[1:2] == b"\x04":
            key.value = f"EC point, uncompressed: 04 ‖ x ‖ y ({len(key.content) - 1} bytes)"
        elif oid in _CURVE_KEYS:
            key.value = f"{_CURVE_KEYS[oid]} public key ({len(key.content) - 1} bytes): {_hex_preview(key.content[1:])}"
        elif oid == _DSA and self.open(key):
            key.kids()[1].name = "y (DSAPublicKey)"

    def rsa_public(self, n: _T, name: str) -> None:
        """RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017)."""
        n.name = name
        for k, fname in zip(n.kids(), ("modulus", "publicExponent")):
            k.name = fname
        if n.kids():
            n.value = f"{_int_bits(n.kids()[0])}-bit RSA key"

    def open(self, n: _T) -> bool:
        return _open(self.der, n, n.depth)

    def signature(self, n: _T, name: str, alg_oid: str) -> None:
        """The signature BIT STRING; an ECDSA or DSA signature is itself DER: SEQUENCE { r, s }."""
        n.name = name
        if alg_oid.startswith(("1.2.840.10045.4", "1.2.840.10040.4", "2.16.840.1.101.3.4.3")) and self.open(n):
            inner = n.kids()[1]
            inner.name = "Ecdsa-Sig-Value" if alg_oid.startswith("1.2.840.10045") else "Dss-Sig-Value"
            for k, fname in zip(inner.kids(), ("r", "s")):
                k.name = fname

    def extensions(self, n: _T, name: str) -> None:
        """Extensions ::= SEQUENCE OF Extension { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }."""
        n.name = name
        names = []
        for ext in n.kids():
            ext.name = "Extension"
            kids = ext.kids()
            if not kids:
                continue
            kids[0].name = "extnID"
            oid = kids[0].oid() or ""
            ext.value = oid_name(oid)
            names.append(ext.value)
            rest = kids[1:]
            if rest and rest[0].universal == 1:
                rest[0].name = "critical"
                ext.value += " (critical)"
                rest = rest[1:]
            if rest and rest[0].universal == 4:
                rest[0].name = "extnValue"
                if self.open(rest[0]):
                    self.extension_value(rest[0].kids()[0], oid)
        n.value = ", ".join(names)

    def extension_value(self, v: _T, oid: str) -> None:
        if oid in ("2.5.29.17", "2.5.29.18"):
            v.name = "GeneralNames"
            self.general_names(v)
        elif oid == "2.5.29.19":
            v.name = "BasicConstraints"
            for k in v.kids():
                k.name = "cA" if k.universal == 1 else "pathLenConstraint"
        elif oid == "2.5.29.15":
            v.name = "KeyUsage"
            v.value = _key_usage(v.content)
        elif oid == "2.5.29.37":
            v.name = "ExtKeyUsageSyntax"
            for k in v.kids():
                k.name = "KeyPurposeId"
            v.value = ", ".join(oid_name(k.oid() or "") for k in v.kids())
        elif oid == "2.5.29.14":
            v.name = "SubjectKeyIdentifier"
        elif oid == "2.5.29.35":
            v.name = "AuthorityKeyIdentifier"
            for k in v.kids():
                k.name = {0: "keyIdentifier", 1: "authorityCertIssuer", 2: "authorityCertSerialNumber"}.get(k.number, "")
        else:
            v.name = oid_name(oid) if oid_name(oid) != oid else ""

    def general_names(self, v: _T) -> None:
        """GeneralNames: each GeneralName is a CHOICE told apart by its context tag (RFC 5280 4.2.1.6)."""
        tags = {0: "otherName", 1: "rfc822Name", 2: "dNSName", 3: "x400Address", 4: "directoryName",
                5: "ediPartyName", 6: "uniformResourceIdentifier", 7: "iPAddress", 8: "registeredID"}
        values = []
        for g in v.kids():
            if g.cls != 2:
                continue
            g.name = tags.get(g.number, "")
            if g.number in (1, 2, 6) and not g.constructed:
                g.value = g.content.decode("ascii", "replace")
            elif g.number == 7 and len(g.content) in (4, 16):
                g.value = str(ipaddress.ip_address(g.content))
            values.append(f"{g.name}:{g.value}")
        v.value = ", ".join(values)

    # --- whole documents
    def csr(self, root: _T) -> None:
        """CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature } (RFC 2986)."""
        root.name = "CertificationRequest"
        kids = root.kids()
        if len(kids) != 3:
            return
        info, alg, sig = kids
        info.name = "certificationRequestInfo"
        ik = info.kids()
        for i, k in enumerate(ik):
            if i == 0 and k.universal == 2:
                k.name = "version"
                k.value = f"{k.value} (v{int(k.value) + 1})" if k.value.lstrip("-").isdigit() else k.value
            elif i == 1 and k.universal == 16:
                self.name_(k, "subject")
            elif i == 2 and k.universal == 16:
                self.spki(k, "subjectPKInfo")
            elif k.cls == 2 and k.number == 0:
                self.attributes(k)
        oid = self.alg_id(alg, "signatureAlgorithm")
        self.signature(sig, "signature", oid)

    def attributes(self, n: _T) -> None:
        """attributes [0] IMPLICIT SET OF Attribute { type OID, values SET OF ANY } (RFC 2986, PKCS#9)."""
        n.name = "attributes"
        names = []
        for a in n.kids():
            a.name = "Attribute"
            kids = a.kids()
            if len(kids) != 2:
                continue
            kids[0].name, kids[1].name = "type", "values"
            oid = kids[0].oid() or ""
            a.value = oid_name(oid)
            names.append(a.value)
            for v in kids[1].kids():
                if oid == "1.2.840.113549.1.9.14" and v.universal == 16:
                    self.extensions(v, "Extensions")
                elif oid == "1.2.840.113549.1.9.7":
                    v.name = "challengePassword"
                elif oid == "1.2.840.113549.1.9.2":
                    v.name = "unstructuredName"
        n.value = ", ".join(names) if names else "(none)"

    def certificate(self, root: _T) -> None:
        """Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } (RFC 5280 4.1)."""
        root.name = "Certificate"
        kids = root.kids()
        if len(kids) < 3:
            return
        tbs, alg, sig = kids[:3]
        tbs.name = "tbsCertificate"
        fields = iter(tbs.kids())
        order = ["serialNumber", "signature", "issuer", "validity", "subject", "subjectPublicKeyInfo"]
        pos = 0
        for k in fields:
            if k.cls == 2:
                if k.number == 0:
                    k.name = "version"
                    if k.kids() and k.kids()[0].universal == 2:
                        inner = k.kids()[0]
                        inner.name = "version"
                        inner.value = f"{inner.value} (v{int(inner.value) + 1})" if inner.value.isdigit() else inner.value
                elif k.number in (1, 2):
                    k.name = "issuerUniqueID" if k.number == 1 else "subjectUniqueID"
                elif k.number == 3:
                    k.name = "extensions"
                    if k.kids() and k.kids()[0].universal == 16:
                        self.extensions(k.kids()[0], "Extensions")
                        k.value = k.kids()[0].value
                continue
            if pos >= len(order):
                continue
            fname = order[pos]
            pos += 1
            if fname == "signature":
                self.alg_id(k, "signature")
            elif fname in ("issuer", "subject"):
                self.name_(k, fname)
            elif fname == "validity":
                k.name = "validity"
                for t, tname in zip(k.kids(), ("notBefore", "notAfter")):
                    t.name = tname
            elif fname == "subjectPublicKeyInfo":
                self.spki(k, fname)
            else:
                k.name = fname
        oid = self.alg_id(alg, "signatureAlgorithm")
        self.signature(sig, "signatureValue", oid)

    def public_key(self, root: _T) -> None:
        self.spki(root, "SubjectPublicKeyInfo")

    def private_key(self, root: _T) -> None:
        """PKCS#8 PrivateKeyInfo, or the older PKCS#1 RSAPrivateKey / SEC1 ECPrivateKey forms."""
        kids = root.kids()
        shape = [k.universal for k in kids]
        if len(kids) >= 3 and shape[:3] == [2, 16, 4]:
            root.name = "PrivateKeyInfo"
            kids[0].name = "version"
            oid = self.alg_id(kids[1], "privateKeyAlgorithm")
            pk = kids[2]
            pk.name = "privateKey"
            root.value = kids[1].value
            if oid == _RSA and self.open(pk):
                self.rsa_private(pk.kids()[0])
            elif oid == _EC and self.open(pk):
                self.ec_private(pk.kids()[0])
            elif oid in _CURVE_KEYS and self.open(pk) and pk.kids()[0].universal == 4:
                inner = pk.kids()[0]
                inner.name = "CurvePrivateKey"
                _hide(inner)
            elif oid == _DSA and self.open(pk) and pk.kids()[0].universal == 2:
                pk.kids()[0].name = "x"
                _hide(pk.kids()[0])
            else:
                _hide_all(pk)
            if pk.children:  # its preview would show the first bytes of the secret inside: describe it instead
                pk.value = f"{pk.length} bytes: the key itself, opened below"
            for k in kids[3:]:
                if k.cls == 2:
                    k.name = {0: "attributes", 1: "publicKey"}.get(k.number, "")
        elif len(kids) >= 9 and all(s == 2 for s in shape[:9]):
            self.rsa_private(root)
        elif len(kids) >= 2 and shape[:2] == [2, 4]:
            self.ec_private(root)
        else:
            _hide_all(root)  # an unknown private-key layout: show its shape, hide every value

    def rsa_private(self, n: _T) -> None:
        """RSAPrivateKey (RFC 8017 A.1.2): the modulus and exponent are public, everything else secret."""
        n.name = "RSAPrivateKey"
        names = ("version", "modulus", "publicExponent", "privateExponent", "prime1", "prime2", "exponent1",
                 "exponent2", "coefficient")
        for i, k in enumerate(n.kids()):
            k.name = names[i] if i < len(names) else "otherPrimeInfos"
            if i >= 3:
                _hide_all(k) if k.constructed else _hide(k)
        if len(n.kids()) > 1:
            n.value = f"{_int_bits(n.kids()[1])}-bit RSA key"

    def ec_private(self, n: _T) -> None:
        """ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, [0] parameters, [1] publicKey } (RFC 5915)."""
        n.name = "ECPrivateKey"
        for i, k in enumerate(n.kids()):
            if i == 0:
                k.name = "version"
            elif i == 1:
                k.name = "privateKey"
                _hide(k)
            elif k.cls == 2 and k.number == 0:
                k.name = "parameters"
                if k.kids():
                    k.kids()[0].name = "namedCurve"
                    n.value = oid_name(k.kids()[0].oid() or "")
            elif k.cls == 2 and k.number == 1:
                k.name = "publicKey"
                if k.kids():
                    k.kids()[0].name = "ECPoint"

    def encrypted_private_key(self, root: _T) -> None:
        """EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm, encryptedData OCTET STRING } (RFC 5958)."""
        root.name = "EncryptedPrivateKeyInfo"
        kids = root.kids()
        if len(kids) == 2:
            self.alg_id(kids[0], "encryptionAlgorithm")
            kids[1].name = "encryptedData"
            kids[1].value = f"{kids[1].length} bytes of ciphertext: the key, encrypted with the passphrase"


def _hide(n: _T) -> None:
    n.secret = True
    n.value = SECRET


def _hide_all(n: _T) -> None:
    """Mark every value-bearing element under n secret (OIDs and NULLs say nothing about the key)."""
    if n.children is None:
        if n.universal not in (5, 6):
            _hide(n)
        return
    for k in n.children:
        _hide_all(k)


def _int_bits(n: _T) -> int:
    return int.from_bytes(n.content, "big").bit_length()


def _key_usage(c: bytes) -> str:
    names = ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "keyAgreement",
             "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"]
    bits = int.from_bytes(c[1:], "big") if len(c) > 1 else 0
    width = (len(c) - 1) * 8
    return ", ".join(name for i, name in enumerate(names) if i < width and bits >> (width - 1 - i) & 1)


# ---------------------------------------------------------------------------------------------- input

_LABEL_KINDS = {
    "CERTIFICATE": "certificate", "X509 CERTIFICATE": "certificate", "TRUSTED CERTIFICATE": "certificate",
    "CERTIFICATE REQUEST": "csr", "NEW CERTIFICATE REQUEST": "csr",
    "PRIVATE KEY": "private_key", "RSA PRIVATE KEY": "private_key", "EC PRIVATE KEY": "private_key",
    "DSA PRIVATE KEY": "private_key", "ENCRYPTED PRIVATE KEY": "encrypted_private_key",
    "PUBLIC KEY": "public_key", "RSA PUBLIC KEY": "rsa_public_key",
}


def _der_of(obj: Any, index: int) -> tuple[bytes, str, str | None]:
    """(DER, kind, source) from an object, an Item, DER/PEM bytes, PEM text or a path."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from .files import Item, _source_bytes, is_source
    source = None
    if isinstance(obj, Item):
        source = obj.name
        obj = obj.obj
    if isinstance(obj, (x509.CertificateSigningRequest, x509.Certificate)):
        kind = "csr" if isinstance(obj, x509.CertificateSigningRequest) else "certificate"
        return obj.public_bytes(serialization.Encoding.DER), kind, source
    if hasattr(obj, "private_bytes"):  # the in-memory key, as unencrypted PKCS#8
        der = obj.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        return der, "private_key", source
    if hasattr(obj, "public_bytes") and hasattr(obj, "verify"):
        return obj.public_bytes(serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo), "public_key", source
    if not is_source(obj):
        raise InputError(f"expected a key, CSR, certificate, path or DER bytes, but got {type(obj).__name__}")
    data, source = _source_bytes(obj)  # the same edge load() reads through: size limit, FIFOs, links
    return _der_from_bytes(data, index, source)


_KEY_KINDS = ("private_key", "encrypted_private_key")


def _der_from_bytes(data: bytes, index: int, source: str | None) -> tuple[bytes, str, str | None]:
    from .files import _IGNORED_LABELS, _pem_blocks, _pem_body, _sniff_der
    w = where(source) or "<input>: "
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if b"-----BEGIN" in data:
        blocks = [b for b in _pem_blocks(data) if b.label.decode("ascii") not in _IGNORED_LABELS]
        if not blocks:
            raise InputError(f"{w}holds no PEM block with a key, CSR or certificate")
        if not 0 <= index < len(blocks):
            raise InputError(f"{w}has {len(blocks)} PEM block(s); there is no block number {index}")
        m = blocks[index]
        label = m.label.decode("ascii")
        headers, der = _pem_body(m.body, label, w)
        if b"ENCRYPTED" in headers:
            raise InputError(f"{w}the key uses old-style PEM encryption (Proc-Type): its bytes are ciphertext, not "
                             f"ASN.1; convert it with openssl pkey -in FILE -aes256 -out NEW.key first")
        kind = _LABEL_KINDS.get(label, "unknown")
        if kind not in _KEY_KINDS and _sniff_der(der) in _KEY_KINDS:  # never trust a label to hide a key
            raise InputError(f"{w}the block says {label} but holds a private key: fix the BEGIN/END lines")
    else:
        if not data:
            raise InputError(f"{w}is empty: expected DER or PEM")
        if index != 0:
            raise InputError(f"{w}is one DER structure; there is no block number {index}")
        der, kind = data, _sniff_der(data) or "unknown"
    if _sniff_der(der) == "pkcs12":  # its bags may hold a private key in the clear, in a layout not named here
        raise InputError(f"{w}is a PKCS#12 file: map the certificate or key inside it instead "
                         f"(openssl pkcs12 -in FILE -nokeys -out cert.pem)")
    return der, kind, source


# ---------------------------------------------------------------------------------------------- entry point

def byte_map(obj: Any, *, index: int = 0) -> ByteMap:
    """Walk the DER of a CSR, certificate or key into named nodes: the bytes behind every field.

    ``obj`` is a cryptography object, a loaded ``Item``, a path, PEM text, or DER bytes; ``index``
    picks the PEM block of a file with several (a full chain). A path maps the file's own bytes (a
    PKCS#1 ``RSA PRIVATE KEY`` stays PKCS#1); an object is mapped as cryptography serialises it.
    It is what ``openssl asn1parse -i -in FILE`` prints, with the RFC field names added.
    """
    der, kind, source = _der_of(obj, index)
    try:
        roots = _parse(der, 0, len(der), 0)
    except _DerError as e:
        raise InputError(f"{where(source) or '<input>: '}is not valid DER at {e}") from None
    if not roots:
        raise InputError(f"{where(source) or '<input>: '}holds no DER data")
    namer = _Namer(der)
    root = roots[0]
    if root.universal == 16:
        if kind == "csr":
            namer.csr(root)
        elif kind == "certificate":
            namer.certificate(root)
        elif kind == "public_key":
            namer.public_key(root)
        elif kind == "rsa_public_key":
            namer.rsa_public(root, "RSAPublicKey")
            kind = "public_key"
        elif kind == "private_key":
            namer.private_key(root)
        elif kind == "encrypted_private_key":
            namer.encrypted_private_key(root)
    elif kind == "private_key":
        _hide_all(root)
    if kind == "private_key":
        for extra in roots[1:]:
            _hide_all(extra)

    if len(roots) > 1 and kind == "certificate":
        roots[1].name = "trust settings (openssl TRUSTED CERTIFICATE)"
    nodes: list[Asn1Node] = []
    _flatten(roots, 0, nodes)
    return ByteMap(tuple(nodes), der, kind, source)


def _flatten(items: list[_T], depth: int, out: list[Asn1Node]) -> None:
    for t in items:
        out.append(Asn1Node(t.offset, t.hl, t.length, depth, t.tag_text(), t.name, t.value, t.secret,
                            t.children is not None))
        if t.children is not None:
            _flatten(t.children, depth + 1, out)
