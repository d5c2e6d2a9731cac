"""The ASN.1 byte map: every byte of the DER tiled exactly once at each depth, with openssl asn1parse as referee.

Files are made by the real openssl CLI (CSRs, certificates, a full chain, private keys as PKCS#8, PKCS#1
and SEC1, public keys, PEM and DER). ``openssl asn1parse -i`` and ``-strparse`` give the element
layout csrlearn must reproduce; cryptography gives the field bytes (tbs, subject, signature) the
names must point at. Private numbers are compared, never printed: failure messages name the number
that leaked, not its digits.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import json
import random
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

import csrlearn as cl
from csrlearn.asn1 import SECRET
from csrlearn.cli import main
from csrlearn.errors import InputError
from conftest import KEY_TYPES, openssl_key_csr_cert, run_openssl

CN = {kt: f"www.{kt}.example.org" for kt in KEY_TYPES}
CA_CN = "csrlearn Test Root CA"

# (key type, form) -> one file; "chain" holds a leaf signed by an EC CA, and the full-chain file.
STRUCT_FORMS = [(kt, f) for kt in KEY_TYPES for f in ("csr", "crt", "key", "pub", "csr-der", "crt-der", "key-der",
                                                      "pub-der")]
STRUCT_FORMS += [("rsa", "pkcs1"), ("rsa", "pkcs1-der"), ("rsa", "rsapub"), ("ec", "sec1"), ("ec", "sec1-der"),
                 ("chain", "leaf"), ("chain", "ca"), ("chain", "pem")]
FORM_IDS = [f"{kt}-{f}" for kt, f in STRUCT_FORMS]
KIND_OF_FORM = {"csr": "csr", "crt": "certificate", "key": "private_key", "pub": "public_key", "pkcs1": "private_key",
                "sec1": "private_key", "rsapub": "public_key", "leaf": "certificate", "ca": "certificate",
                "pem": "certificate"}
# Private keys in every form csrlearn reads them, including the in-memory object (mapped as PKCS#8).
KEY_FORMS = [(kt, f) for kt in KEY_TYPES for f in ("key", "key-der", "object")]
KEY_FORMS += [("rsa", "pkcs1"), ("rsa", "pkcs1-der"), ("ec", "sec1"), ("ec", "sec1-der")]
KEY_FORM_IDS = [f"{kt}-{f}" for kt, f in KEY_FORMS]
SECRET_FIELDS = {"rsa": {"privateExponent", "prime1", "prime2", "exponent1", "exponent2", "coefficient"},
                 "ec": {"privateKey"}, "ed25519": {"CurvePrivateKey"}}


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """Every file the tests map, made once by the openssl CLI alone."""
    tmp = tmp_path_factory.mktemp("asn1")
    files: dict[tuple[str, str], Path] = {}

    def conv(kt: str, form: str, *args: str) -> None:
        out = tmp / f"{kt}.{form}" if not form.endswith("-der") else tmp / f"{kt}.{form[:-4]}.der"
        run_openssl(*args, "-out", str(out))
        files[kt, form] = out

    for kt in KEY_TYPES:
        made = openssl_key_csr_cert(tmp, kt, kt, cn=CN[kt])
        key, csr, crt = (str(made[p]) for p in ("key", "csr", "crt"))
        files[kt, "key"], files[kt, "csr"], files[kt, "crt"] = made["key"], made["csr"], made["crt"]
        conv(kt, "pub", "pkey", "-in", key, "-pubout")
        conv(kt, "key-der", "pkcs8", "-topk8", "-nocrypt", "-in", key, "-outform", "DER")  # pkey would write PKCS#1
        conv(kt, "pub-der", "pkey", "-in", key, "-pubout", "-outform", "DER")
        conv(kt, "csr-der", "req", "-in", csr, "-outform", "DER")
        conv(kt, "crt-der", "x509", "-in", crt, "-outform", "DER")
    rsa_key, ec_key = str(files["rsa", "key"]), str(files["ec", "key"])
    conv("rsa", "pkcs1", "rsa", "-in", rsa_key, "-traditional")
    conv("rsa", "pkcs1-der", "rsa", "-in", rsa_key, "-traditional", "-outform", "DER")
    conv("rsa", "rsapub", "rsa", "-in", rsa_key, "-RSAPublicKey_out")
    conv("ec", "sec1", "ec", "-in", ec_key)
    conv("ec", "sec1-der", "ec", "-in", ec_key, "-outform", "DER")
    ca_key, ca, leaf = tmp / "ca.key", tmp / "ca.crt", tmp / "leaf.crt"
    run_openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", str(ca_key), "-out", str(ca), "-subj", f"/CN={CA_CN}", "-days", "30")
    run_openssl("x509", "-req", "-in", str(files["rsa", "csr"]), "-CA", str(ca), "-CAkey", str(ca_key),
                "-out", str(leaf), "-days", "30", "-copy_extensions", "copy")  # the leaf keeps the CSR's SAN
    chain = tmp / "fullchain.pem"
    chain.write_bytes(leaf.read_bytes() + ca.read_bytes())
    files["chain", "leaf"], files["chain", "ca"], files["chain", "pem"] = leaf, ca, chain
    return files


# ---------------------------------------------------------------------------------------------- helpers

def mapped(kit, kt: str, form: str) -> cl.ByteMap:
    if form == "object":
        return cl.byte_map(cl.load_one(kit[kt, "key"]).obj)
    return cl.byte_map(kit[kt, form])


def private_key(kit, kt: str):
    return serialization.load_pem_private_key(kit[kt, "key"].read_bytes(), None)


def der_of(path: Path) -> bytes:
    """The DER of a file's first PEM block (or of a DER file), as openssl asn1parse decodes it."""
    if path.suffix == ".der":
        return path.read_bytes()
    return run_openssl("asn1parse", "-in", str(path), "-noout", "-out", "/dev/stdout").stdout


_ASN1PARSE = re.compile(r"^\s*(\d+):d=\s*(\d+)\s+hl=\s*(\d+)\s+l=\s*(\d+)\s+(?:prim|cons):\s*(\S.*?)(?:\s{2,}|:|\s*$)")


@functools.lru_cache(maxsize=None)
def openssl_elements(path: str, strparse: int | None = None) -> tuple[tuple[int, int, int, int, str], ...]:
    """(offset, depth, header length, length, openssl's tag) of every line openssl asn1parse -i prints.

    The values openssl prints after the tag (a key's private numbers among them) are dropped at once.
    """
    args = ["asn1parse", "-in", path, "-i"] + (["-inform", "DER"] if path.endswith(".der") else [])
    if strparse is not None:
        args += ["-strparse", str(strparse)]
    lines = run_openssl(*args).stdout.decode().splitlines()
    rows = [_ASN1PARSE.match(line) for line in lines]
    unparsed = [i for i, r in enumerate(rows) if r is None]
    assert lines and not unparsed, f"openssl asn1parse printed lines this test cannot read: {unparsed}"
    return tuple((int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5]) for r in rows)


_OPENSSL_TAGS = {"SEQUENCE": "SEQUENCE", "SET": "SET", "INTEGER": "INTEGER", "BIT STRING": "BIT STRING",
                 "OCTET STRING": "OCTET STRING", "NULL": "NULL", "BOOLEAN": "BOOLEAN", "OBJECT": "OBJECT IDENTIFIER",
                 "PRINTABLESTRING": "PrintableString", "UTF8STRING": "UTF8String", "IA5STRING": "IA5String",
                 "UTCTIME": "UTCTime", "GENERALIZEDTIME": "GeneralizedTime"}


def csrlearn_tag(openssl_tag: str) -> str:
    """The tag csrlearn prints for one openssl names: ``cont [ 0 ]`` -> ``[0]``, ``OBJECT`` -> ``OBJECT IDENTIFIER``."""
    m = re.fullmatch(r"cont \[ (\d+) \]", openssl_tag)
    return f"[{m[1]}]" if m else _OPENSSL_TAGS[openssl_tag]


def tree(m: cl.ByteMap) -> tuple[list[int], list[list[int]]]:
    """Top-level node indexes, and each node's children, from ``parents()``."""
    top: list[int] = []
    kids: list[list[int]] = [[] for _ in m.nodes]
    for i, p in enumerate(m.parents()):
        (top if p is None else kids[p]).append(i)
    return top, kids


def tiling_problems(m: cl.ByteMap, seq: list[int], start: int, end: int, label: str) -> list[str]:
    """Where the nodes ``seq`` fail to cover start..end back to back, without gap or overlap."""
    problems, pos = [], start
    for i in seq:
        n = m.nodes[i]
        if n.offset != pos:
            problems.append(f"{label}: node {i} ({n.name or n.tag}) starts at {n.offset}, expected {pos}")
        pos = n.end
    if pos != end:
        problems.append(f"{label}: ends at {pos}, expected {end}")
    return problems


def children_problems(m: cl.ByteMap) -> list[str]:
    top, kids = tree(m)
    problems = []
    for i, n in enumerate(m.nodes):
        if n.has_children:
            label = f"children of node {i} ({n.name or n.tag})"
            problems += tiling_problems(m, kids[i], n.content_offset, n.end, label)
        elif kids[i]:
            problems.append(f"node {i} has has_children=False but {len(kids[i])} children")
    return problems


def ownership_problems(m: cl.ByteMap) -> list[int]:
    """Bytes not counted exactly once by the headers of all nodes plus the content of the leaves."""
    count = [0] * len(m.der)
    for n in m.nodes:
        for b in range(n.offset, n.content_offset if n.has_children else n.end):
            if 0 <= b < len(count):
                count[b] += 1
            else:
                return [b]
    return [b for b, c in enumerate(count) if c != 1]


def structure_problems(m: cl.ByteMap) -> list[str]:
    top, _ = tree(m)
    return tiling_problems(m, top, 0, len(m.der), "top level") + children_problems(m) + \
        [f"byte {b} owned wrongly" for b in ownership_problems(m)[:1]]


def secret_numbers(key) -> dict[str, int | bytes]:
    """The private numbers of a key by name: what no view may ever show."""
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        return {"d": n.d, "p": n.p, "q": n.q, "dmp1": n.dmp1, "dmq1": n.dmq1, "iqmp": n.iqmp}
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"private value": key.private_numbers().private_value}
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return {"seed": key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                      serialization.NoEncryption())}


def leaked(text: str, key) -> list[str]:
    """The private numbers of which 6 bytes (hex, any separators or tags between) or 20 digits appear in text."""
    squeezed = re.sub(r"[\s:.…-]", "", text).upper()
    untagged = re.sub(r"[\s:.…-]", "", html.unescape(re.sub(r"<[^>]*>", " ", text))).upper()
    found = []
    for name, v in secret_numbers(key).items():
        raw = v if isinstance(v, bytes) else v.to_bytes((v.bit_length() + 7) // 8, "big")
        windows = {raw[i:i + 6].hex().upper() for i in range(len(raw) - 5)}
        decimal = str(v)[:20] if isinstance(v, int) and v > 10 ** 20 else None
        if any(w in squeezed or w in untagged for w in windows) or (decimal and decimal in text):
            found.append(name)
    return found


_HEX_SPAN = re.compile(r"<span title='([^']*)' style='([^']*)'>([^<]*)</span>")


def hexdump(page: str, size: int) -> list[tuple[str, str, bool]]:
    """The HTML hex dump, one (cell, tooltip, is-header) per DER byte; a cell is ``3A`` or the mask ``••``."""
    body = page.split("<div class='csrlearn-hexdump'>", 1)[1].split("</div>", 1)[0]
    cells: list[tuple[str, str, bool]] = []
    for line in body.split("\n"):
        row = int(line[:6], 16)
        assert row == len(cells), f"hex dump row {line[:6]} out of place"
        want = row + min(16, size - row)
        for title, style, text in _HEX_SPAN.findall(line):  # the hex spans, then the character spans
            if len(cells) == want:
                break
            cells += [(t, html.unescape(title), "font-weight:bold" in style) for t in text.split()]
        assert len(cells) == want, f"hex dump row {line[:6]} holds the wrong number of bytes"
    return cells


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def nest(levels: int, inner: bytes = b"") -> bytes:
    """``levels`` SEQUENCEs, each holding the next."""
    der = inner
    for _ in range(levels):
        n = len(der)
        length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
            (n.bit_length() + 7) // 8, "big")
        der = b"\x30" + length + der
    return der


def only(m: cl.ByteMap, name: str, depth: int | None = None) -> cl.Asn1Node:
    found = [n for n in m.find(name) if depth is None or n.depth == depth]
    assert len(found) == 1, f"{len(found)} nodes named {name!r} at depth {depth}"
    return found[0]


def content(m: cl.ByteMap, n: cl.Asn1Node) -> bytes:
    return m.der[n.content_offset:n.end]


def span(m: cl.ByteMap, n: cl.Asn1Node) -> bytes:
    return m.der[n.offset:n.end]


# ---------------------------------------------------------------------------------------------- every byte exactly once

@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_children_tile_their_parent(kit, kt, form):
    """Each container's children start at its content offset, follow back to back and end exactly at its end."""
    assert children_problems(mapped(kit, kt, form)) == []


@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_top_level_nodes_tile_the_whole_der(kit, kt, form):
    """The top-level nodes cover the DER from byte 0 to its last byte, with no gap or overlap."""
    m = mapped(kit, kt, form)
    top, _ = tree(m)
    same_der = m.der == der_of(kit[kt, form])  # compared apart: a key's DER must not reach the failure report
    assert same_der and top == [0]
    assert tiling_problems(m, top, 0, len(m.der), "top level") == []


@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_headers_and_leaves_own_every_byte_once(kit, kt, form):
    """Counting every node's tag+length bytes and every leaf's content bytes counts each DER byte exactly once."""
    assert ownership_problems(mapped(kit, kt, form)) == []


@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_each_depth_covers_its_containers_exactly_once(kit, kt, form):
    """The nodes at depth d cover the content of the containers at depth d-1 (at depth 0 all the DER) exactly once."""
    m = mapped(kit, kt, form)
    problems = []
    for d in range(max(n.depth for n in m.nodes) + 1):
        expected = [1] * len(m.der) if d == 0 else [0] * len(m.der)
        for n in m.nodes:
            if d and n.depth == d - 1 and n.has_children:
                expected[n.content_offset:n.end] = [1] * n.length
        got = [0] * len(m.der)
        for n in m.nodes:
            if n.depth == d:
                for b in range(n.offset, n.end):
                    got[b] += 1
        wrong = [b for b in range(len(m.der)) if got[b] != expected[b]]
        if wrong:
            problems.append(f"depth {d}: {len(wrong)} bytes covered wrongly, the first at {wrong[0]}")
    assert problems == []


@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_depths_and_parents_agree_with_byte_spans(kit, kt, form):
    """Nodes are in document order, each one's parent the deepest earlier container whose content holds its bytes."""
    m = mapped(kit, kt, form)
    parents = m.parents()
    wrong = []
    for i, n in enumerate(m.nodes):
        holders = [j for j in range(i) if m.nodes[j].has_children
                   and m.nodes[j].content_offset <= n.offset and n.end <= m.nodes[j].end]
        by_span = holders[-1] if holders else None
        depth = 0 if by_span is None else m.nodes[by_span].depth + 1
        if parents[i] != by_span or n.depth != depth or (i and n.offset <= m.nodes[i - 1].offset):
            wrong.append(i)
    assert wrong == []


@pytest.mark.parametrize("kt,form", [("rsa", "csr"), ("rsa", "crt"), ("rsa", "pub-der"), ("ec", "csr"), ("ec", "crt"),
                                     ("chain", "leaf")])
def test_opened_bit_string_starts_with_unused_bits_pseudo_node(kit, kt, form):
    """An opened BIT STRING's first child is the 'unused bits' pseudo-node: no header, one content byte, the 00 byte."""
    m = mapped(kit, kt, form)
    _, kids = tree(m)
    opened = [i for i, n in enumerate(m.nodes) if n.tag == "BIT STRING" and n.has_children]
    assert opened
    for i in opened:
        pad = m.nodes[kids[i][0]]
        assert (pad.offset, pad.header_length, pad.length, pad.depth) == (m.nodes[i].content_offset, 0, 1,
                                                                         m.nodes[i].depth + 1)
        assert pad.tag == "unused bits" and pad.value == "0" and m.der[pad.offset] == 0 and not pad.has_children
        assert len(kids[i]) == 2 and m.nodes[kids[i][1]].header_length >= 2
    pseudo = [i for i, n in enumerate(m.nodes) if n.header_length == 0]
    assert pseudo == [kids[i][0] for i in opened]


# ------------------------------------------------------------------------------------- openssl asn1parse as referee

def outside_opened(m: cl.ByteMap) -> list[cl.Asn1Node]:
    """The nodes openssl asn1parse shows by default: all but those inside an opened BIT/OCTET STRING."""
    parents, out, inside = m.parents(), [], [False] * len(m.nodes)
    for i, n in enumerate(m.nodes):
        p = parents[i]
        inside[i] = p is not None and (inside[p] or m.nodes[p].tag in ("BIT STRING", "OCTET STRING"))
        if not inside[i]:
            out.append(n)
    return out


@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_every_openssl_asn1parse_line_is_a_node(kit, kt, form):
    """Every element openssl asn1parse -i prints is a node with the same offset, depth, header length and length."""
    m = mapped(kit, kt, form)
    have = {(n.offset, n.depth, n.header_length, n.length) for n in m.nodes}
    missing = [row[:4] for row in openssl_elements(str(kit[kt, form])) if row[:4] not in have]
    assert missing == []


@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_nodes_beyond_openssl_are_only_inside_opened_strings(kit, kt, form):
    """Outside opened BIT/OCTET STRINGs, csrlearn's nodes are exactly openssl's elements: none extra, none lost."""
    m = mapped(kit, kt, form)
    ours = [(n.offset, n.depth, n.header_length, n.length) for n in outside_opened(m)]
    assert ours == [row[:4] for row in openssl_elements(str(kit[kt, form]))]


@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_tag_names_match_openssl(kit, kt, form):
    """Each element's tag is openssl's tag spelled the ASN.1 way (OBJECT -> OBJECT IDENTIFIER, cont [ 3 ] -> [3])."""
    m = mapped(kit, kt, form)
    tags = {(n.offset, n.depth): n.tag for n in m.nodes}
    wrong = [(o, t, tags.get((o, d))) for o, d, _, _, t in openssl_elements(str(kit[kt, form]))
             if tags.get((o, d)) != csrlearn_tag(t)]
    assert wrong == []


# Forms with no DER wrapped in a string: an EC point or an Ed25519 key is raw bytes, PKCS#1 and SEC1 wrap nothing.
OPENS_NOTHING = {("ec", "pub"), ("ec", "pub-der"), ("ed25519", "pub"), ("ed25519", "pub-der"), ("rsa", "pkcs1"),
                 ("rsa", "pkcs1-der"), ("rsa", "rsapub"), ("ec", "sec1"), ("ec", "sec1-der")}


@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_opened_strings_match_openssl_strparse(kit, kt, form):
    """What csrlearn finds inside an opened BIT/OCTET STRING is what openssl asn1parse -strparse finds there."""
    m = mapped(kit, kt, form)
    opened = [i for i, n in enumerate(m.nodes) if n.has_children and n.tag in ("BIT STRING", "OCTET STRING")]
    assert bool(opened) == ((kt, form) not in OPENS_NOTHING)
    problems = []
    for i in opened:
        n = m.nodes[i]
        base = n.content_offset + (1 if n.tag == "BIT STRING" else 0)
        theirs = [(base + o, n.depth + 1 + d, hl, ln, csrlearn_tag(t))
                  for o, d, hl, ln, t in openssl_elements(str(kit[kt, form]), n.offset)]
        below = []  # the descendants of node i: the nodes after it, up to the first one no deeper than it
        for x in m.nodes[i + 1:]:
            if x.depth <= n.depth:
                break
            if x.header_length:  # the unused-bits byte is csrlearn's own pseudo-node
                below.append(x)
        ours = [(x.offset, x.depth, x.header_length, x.length, x.tag) for x in below]
        if ours != theirs:
            problems.append(f"inside node {i} ({n.name}) at {n.offset}")
    assert problems == []


# ---------------------------------------------------------------------------------------------- field names: RFC 2986

def load_csr(kit, kt) -> x509.CertificateSigningRequest:
    return x509.load_pem_x509_csr(kit[kt, "csr"].read_bytes())


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.mark.parametrize("kt", KEY_TYPES)
def test_csr_field_names_follow_rfc_2986(kit, kt):
    """A CSR maps to CertificationRequest { certificationRequestInfo { version, subject, subjectPKInfo, attributes },
    signatureAlgorithm, signature }, each at its depth."""
    m = cl.byte_map(kit[kt, "csr"])
    assert (m.kind, m.nodes[0].name, m.nodes[0].depth) == ("csr", "CertificationRequest", 0)
    assert [n.name for n in m.nodes if n.depth == 1] == ["certificationRequestInfo", "signatureAlgorithm", "signature"]
    _, kids = tree(m)
    assert [m.nodes[i].name for i in kids[1]] == ["version", "subject", "subjectPKInfo", "attributes"]
    assert only(m, "version", 2).value == "0 (v1)"


@pytest.mark.parametrize("kt", KEY_TYPES)
def test_csr_names_point_at_the_right_bytes(kit, kt):
    """certificationRequestInfo, subject, subjectPKInfo and signature span the bytes cryptography and openssl give."""
    m, csr = cl.byte_map(kit[kt, "csr"]), load_csr(kit, kt)
    assert span(m, only(m, "certificationRequestInfo")) == csr.tbs_certrequest_bytes
    assert span(m, only(m, "subject")) == csr.subject.public_bytes()
    assert span(m, only(m, "subjectPKInfo")) == kit[kt, "pub-der"].read_bytes()
    sig = content(m, only(m, "signature", 1))
    assert sig[0] == 0 and sig[1:] == csr.signature


@pytest.mark.parametrize("form", ["csr", "crt"])
@pytest.mark.parametrize("kt", KEY_TYPES)
def test_subject_common_name_value_is_the_cn(kit, kt, form):
    """The subject's commonName AttributeTypeAndValue holds the CN, and the subject reads like openssl's -subj."""
    m = cl.byte_map(kit[kt, form])
    subject = only(m, "subject")
    assert subject.value == f"C=US, O=Acme, CN={CN[kt]}"
    i = next(i for i, n in enumerate(m.nodes) if n.name == "type" and n.value == "commonName (2.5.4.3)"
             and subject.offset < n.offset < subject.end)
    value = m.nodes[i + 1]
    assert (value.name, value.tag, value.value, value.depth) == ("value", "UTF8String", CN[kt], subject.depth + 3)
    assert content(m, value) == CN[kt].encode()


@pytest.mark.parametrize("kt,form,field,expected", [
    ("rsa", "csr", "subjectPKInfo", "rsaEncryption"),
    ("rsa", "csr", "signatureAlgorithm", "sha256WithRSAEncryption"),
    ("rsa", "crt", "signature", "sha256WithRSAEncryption"),
    ("rsa", "crt", "subjectPublicKeyInfo", "rsaEncryption"),
    ("ec", "csr", "subjectPKInfo", "id-ecPublicKey, prime256v1"),
    ("ec", "crt", "signatureAlgorithm", "ecdsa-with-SHA256"),
    ("ec", "key", "privateKeyAlgorithm", "id-ecPublicKey, prime256v1"),
    ("ec", "sec1", "namedCurve", "prime256v1"),
    ("ed25519", "csr", "subjectPKInfo", "Ed25519"),
    ("ed25519", "crt", "signatureAlgorithm", "Ed25519"),
    ("rsa", "csr", "Extension", "subjectAltName"),
    ("ec", "csr", "Extension", "subjectAltName"),
    ("ed25519", "csr", "Attribute", "extensionRequest"),
    ("chain", "leaf", "signatureAlgorithm", "ecdsa-with-SHA256"),
])
def test_oids_are_named(kit, kt, form, field, expected):
    """Algorithm, curve, attribute and extension OIDs read by their RFC/openssl names."""
    values = [n.value for n in mapped(kit, kt, form).find(field)]
    assert values and all(v.startswith(expected) for v in values)


@pytest.mark.parametrize("oid,name", [
    ("1.2.840.113549.1.1.1", "rsaEncryption"), ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.10045.3.1.7", "prime256v1 (P-256)"), ("1.3.101.112", "Ed25519"), ("2.5.29.17", "subjectAltName"),
    ("2.5.4.3", "commonName"), ("1.2.840.113549.1.9.14", "extensionRequest"),
])
def test_object_identifier_values_carry_name_and_dotted_form(kit, oid, name):
    """Every OBJECT IDENTIFIER whose bytes are this OID (as openssl encodes it) reads 'name (dotted)'."""
    der = run_openssl("asn1parse", "-genstr", f"OID:{oid}", "-noout", "-out", "/dev/stdout").stdout
    values = [n.value for kt in KEY_TYPES for form in ("csr", "crt", "key") for m in [mapped(kit, kt, form)]
              for n in m.nodes if span(m, n) == der]
    assert values and set(values) == {f"{name} ({oid})"}


# ---------------------------------------------------------------------------------------------- field names: RFC 5280

@pytest.mark.parametrize("kt", [*KEY_TYPES, "chain"])
def test_certificate_field_names_follow_rfc_5280(kit, kt):
    """A certificate maps to Certificate { tbsCertificate { version … extensions }, signatureAlgorithm,
    signatureValue }, each at its depth."""
    m = cl.byte_map(kit[kt, "crt" if kt != "chain" else "leaf"])
    assert (m.kind, m.nodes[0].name) == ("certificate", "Certificate")
    assert [n.name for n in m.nodes if n.depth == 1] == ["tbsCertificate", "signatureAlgorithm", "signatureValue"]
    _, kids = tree(m)
    assert [m.nodes[i].name for i in kids[1]] == ["version", "serialNumber", "signature", "issuer", "validity",
                                                  "subject", "subjectPublicKeyInfo", "extensions"]
    validity = m.nodes.index(only(m, "validity"))
    assert [m.nodes[i].name for i in kids[validity]] == ["notBefore", "notAfter"]
    assert only(m, "version", 3).value == "2 (v3)"


@pytest.mark.parametrize("kt", [*KEY_TYPES, "chain"])
def test_certificate_names_point_at_the_right_bytes(kit, kt):
    """tbsCertificate, serialNumber, issuer, subject, subjectPublicKeyInfo and signatureValue span their bytes."""
    path = kit[kt, "crt" if kt != "chain" else "leaf"]
    m, cert = cl.byte_map(path), load_cert(path)
    assert span(m, only(m, "tbsCertificate")) == cert.tbs_certificate_bytes
    assert int.from_bytes(content(m, only(m, "serialNumber")), "big", signed=True) == cert.serial_number
    assert span(m, only(m, "issuer")) == cert.issuer.public_bytes()
    assert span(m, only(m, "subject")) == cert.subject.public_bytes()
    pub = kit["rsa" if kt == "chain" else kt, "pub-der"].read_bytes()
    assert span(m, only(m, "subjectPublicKeyInfo")) == pub
    sig = content(m, only(m, "signatureValue"))
    assert sig[0] == 0 and sig[1:] == cert.signature
    algorithm = m.nodes[m.nodes.index(only(m, "signatureAlgorithm")) + 1]
    assert algorithm.name == "algorithm" and algorithm.value.endswith(f"({cert.signature_algorithm_oid.dotted_string})")


@pytest.mark.parametrize("kt", KEY_TYPES)
def test_validity_times_read_as_openssl_reads_them(kit, kt):
    """notBefore and notAfter show the instants openssl x509 -dates prints."""
    path = kit[kt, "crt"]
    m = cl.byte_map(path)
    out = run_openssl("x509", "-in", str(path), "-noout", "-dates").stdout.decode()
    for name in ("notBefore", "notAfter"):
        text = re.search(rf"{name}=(.*) GMT", out)[1]
        when = dt.datetime.strptime(re.sub(r"\s+", " ", text), "%b %d %H:%M:%S %Y")
        assert when.strftime("(%Y-%m-%d %H:%M:%S UTC)") in only(m, name).value


def test_utctime_years_50_to_99_are_19xx(tmp_path):
    """A UTCTime with YY >= 50 is 19YY (RFC 5280 4.1.2.5.1), as openssl reads it: a 1955 notBefore is not 2055."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old.example.org")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(dt.datetime(1955, 6, 1, tzinfo=dt.timezone.utc))
            .not_valid_after(dt.datetime(2049, 1, 1, tzinfo=dt.timezone.utc)).sign(key, hashes.SHA256()))
    path = tmp_path / "old.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    assert "1955 GMT" in run_openssl("x509", "-in", str(path), "-noout", "-startdate").stdout.decode()
    m = cl.byte_map(path)
    assert only(m, "notBefore").tag == "UTCTime"
    assert only(m, "notBefore").value == "550601000000Z (1955-06-01 00:00:00 UTC)"
    assert only(m, "notAfter").value == "490101000000Z (2049-01-01 00:00:00 UTC)"


@pytest.mark.parametrize("kt,form", [("rsa", "csr"), ("rsa", "crt"), ("rsa", "pub"), ("rsa", "pub-der"),
                                     ("rsa", "rsapub"), ("chain", "leaf")])
def test_rsa_public_key_inside_the_bit_string_is_opened(kit, kt, form):
    """The RSAPublicKey inside subjectPublicKey is opened into modulus and publicExponent, the key's real numbers."""
    m = mapped(kit, kt, form)
    numbers = serialization.load_pem_public_key(kit["rsa", "pub"].read_bytes()).public_numbers()
    assert only(m, "RSAPublicKey").value == "2048-bit RSA key"
    assert int.from_bytes(content(m, only(m, "modulus")), "big") == numbers.n
    assert only(m, "publicExponent").value == str(numbers.e) == "65537"
    if form != "rsapub":
        key = only(m, "subjectPublicKey")
        assert key.has_children and m.parents()[m.nodes.index(only(m, "RSAPublicKey"))] == m.nodes.index(key)


@pytest.mark.parametrize("kt,form", [("ec", "csr"), ("ec", "crt"), ("chain", "leaf")])
def test_ecdsa_signature_is_opened_into_r_and_s(kit, kt, form):
    """An ECDSA signature BIT STRING is opened into Ecdsa-Sig-Value { r, s }, the numbers cryptography decodes."""
    m = mapped(kit, kt, form)
    obj = load_csr(kit, kt) if form == "csr" else load_cert(kit[kt, form])
    r, s = decode_dss_signature(obj.signature)
    assert only(m, "Ecdsa-Sig-Value").tag == "SEQUENCE"
    assert int.from_bytes(content(m, only(m, "r")), "big") == r
    assert int.from_bytes(content(m, only(m, "s")), "big") == s


@pytest.mark.parametrize("kt,form", [("rsa", "csr"), ("ec", "csr"), ("ed25519", "csr"), ("chain", "leaf")])
def test_subject_alt_name_extension_value_is_opened(kit, kt, form):
    """The subjectAltName extnValue OCTET STRING is opened into GeneralNames with its dNSName."""
    m = mapped(kit, kt, form)
    cn = CN["rsa" if kt == "chain" else kt]
    names = only(m, "GeneralNames")
    assert names.value == f"dNSName:{cn}"
    dns = only(m, "dNSName")
    assert (dns.tag, dns.value, dns.depth) == ("[2]", cn, names.depth + 1) and content(m, dns) == cn.encode()
    assert m.path(m.nodes.index(dns)).endswith("Extension › extnValue › GeneralNames › dNSName")


def test_path_names_every_ancestor(kit):
    """path(i) lists the field names from the root down to node i."""
    m = cl.byte_map(kit["ec", "crt"])
    i = max(i for i, n in enumerate(m.nodes) if n.name == "value" and n.value == CN["ec"])
    assert m.path(i) == ("Certificate › tbsCertificate › subject › RelativeDistinguishedName › "
                         "AttributeTypeAndValue › value")
    assert m.path(0) == "Certificate"


def test_find_tells_the_tbs_signature_from_the_signature_value(kit):
    """find('signature') in a certificate is the tbs AlgorithmIdentifier; in a CSR it is the signature BIT STRING."""
    crt, csr = cl.byte_map(kit["rsa", "crt"]), cl.byte_map(kit["rsa", "csr"])
    assert [(n.depth, n.tag) for n in crt.find("signature")] == [(2, "SEQUENCE")]
    assert [(n.depth, n.tag) for n in crt.find("signatureValue")] == [(1, "BIT STRING")]
    assert [(n.depth, n.tag) for n in csr.find("signature")] == [(1, "BIT STRING")]
    assert crt.find("no such field") == []


@pytest.mark.parametrize("kt,form", [("rsa", "crt"), ("ec", "csr"), ("ed25519", "crt"), ("rsa", "key"), ("ec", "sec1")])
def test_hex_dump_tooltip_names_the_owner_of_every_byte(kit, kt, form):
    """Hovering any byte of the hex dump names the element owning it (offset, path, tag) and whether it is header."""
    m = mapped(kit, kt, form)
    owner: list[tuple[int, bool]] = [(-1, False)] * len(m.der)
    for i, n in enumerate(m.nodes):
        owner[n.offset:n.content_offset] = [(i, True)] * n.header_length
        if not n.has_children:
            owner[n.content_offset:n.end] = [(i, False)] * n.length
    wrong = [b for b, (_, title, hdr) in enumerate(hexdump(m._repr_html_(), len(m.der)))
             if (i := owner[b][0]) < 0 or hdr != owner[b][1]
             or not title.startswith(f"{m.nodes[i].offset}: {m.path(i)} ({m.nodes[i].tag}){' header' if hdr else ''}")]
    assert wrong == []


@pytest.mark.parametrize("form", ["csr", "crt", "pub"])
def test_html_hex_dump_shows_the_der_byte_for_byte(kit, form):
    """The HTML hex dump of a public object lists every DER byte in order."""
    m = cl.byte_map(kit["rsa", form])
    assert [cell for cell, _, _ in hexdump(m._repr_html_(), len(m.der))] == [f"{b:02X}" for b in m.der]


# ---------------------------------------------------------------------------------------------- inputs

CONVERSIONS = {
    "object": lambda p: cl.load_one(p).obj,
    "item": lambda p: cl.load_one(p),
    "str path": str,
    "Path": lambda p: p,
    "PEM text": lambda p: p.read_text(),
    "PEM bytes": lambda p: p.read_bytes(),
    "DER bytes": der_of,
}


@pytest.mark.parametrize("how", list(CONVERSIONS))
@pytest.mark.parametrize("form", ["csr", "crt", "pub"])
@pytest.mark.parametrize("kt", KEY_TYPES)
def test_every_input_kind_gives_the_same_map(kit, kt, form, how):
    """A cryptography object, an Item, a path, PEM text or bytes and DER bytes of one object all map alike."""
    path = kit[kt, form]
    ref, m = cl.byte_map(path), cl.byte_map(CONVERSIONS[how](path))
    assert (m.der, m.kind, m.nodes) == (ref.der, ref.kind, ref.nodes)
    assert m.kind == KIND_OF_FORM[form]


def test_source_names_the_file_or_nothing(kit):
    """A path's map records the path as source (and its text says so); bytes have no source."""
    path = kit["ec", "csr"]
    m = cl.byte_map(path)
    assert m.source == str(path) and str(path) in str(m).splitlines()[0] and str(path) in repr(m)
    assert cl.byte_map(path.read_bytes()).source is None


@pytest.mark.parametrize("kt", KEY_TYPES)
def test_key_object_is_mapped_as_pkcs8(kit, kt):
    """A private key object maps as the unencrypted PKCS#8 PrivateKeyInfo cryptography serialises."""
    key = private_key(kit, kt)
    m = cl.byte_map(key)
    assert (m.kind, m.nodes[0].name) == ("private_key", "PrivateKeyInfo")
    same_der = m.der == key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
    assert same_der  # compared apart: the key's DER must not reach the failure report


@pytest.mark.parametrize("kt,form,kind,root", [
    ("rsa", "key-der", "private_key", "PrivateKeyInfo"), ("rsa", "pkcs1-der", "private_key", "RSAPrivateKey"),
    ("ec", "sec1-der", "private_key", "ECPrivateKey"), ("ed25519", "key-der", "private_key", "PrivateKeyInfo"),
    ("rsa", "pkcs1", "private_key", "RSAPrivateKey"), ("ec", "sec1", "private_key", "ECPrivateKey"),
    ("rsa", "rsapub", "public_key", "RSAPublicKey"), ("ec", "pub-der", "public_key", "SubjectPublicKeyInfo"),
    ("ec", "csr-der", "csr", "CertificationRequest"), ("ed25519", "crt-der", "certificate", "Certificate"),
])
def test_file_kind_is_recognised_from_label_or_der(kit, kt, form, kind, root):
    """PEM labels and bare DER are both recognised, so the root gets its structure's name (PKCS#1 stays PKCS#1)."""
    m = mapped(kit, kt, form)
    assert (m.kind, m.nodes[0].name) == (kind, root)


# ---------------------------------------------------------------------------------------------- --json and the CLI

@pytest.mark.parametrize("kt,form", STRUCT_FORMS, ids=FORM_IDS)
def test_cli_json_equals_to_dict(kit, capsys, kt, form):
    """`csrlearn asn1 FILE --json` prints exactly ByteMap.to_dict(), exit 0, nothing on stderr."""
    code, out, err = run(capsys, "asn1", str(kit[kt, form]), "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == cl.byte_map(kit[kt, form]).to_dict()


@pytest.mark.parametrize("kt,form", [("rsa", "crt"), ("ec", "key"), ("ed25519", "csr"), ("rsa", "pkcs1")])
def test_to_dict_has_exactly_the_documented_keys(kit, kt, form):
    """to_dict() is {'nodes': [...]}, each node exactly offset, header_length, length, depth, tag, name, value."""
    m = mapped(kit, kt, form)
    d = m.to_dict()
    assert list(d) == ["nodes"] and len(d["nodes"]) == len(m.nodes)
    keys = ["offset", "header_length", "length", "depth", "tag", "name", "value"]
    assert all(list(n) == keys for n in d["nodes"])
    assert d["nodes"] == [{k: getattr(n, k) for k in keys} for n in m.nodes]
    assert json.loads(json.dumps(d)) == d


@pytest.mark.parametrize("kt,form", [("rsa", "csr"), ("ec", "crt"), ("ed25519", "pub"), ("chain", "pem")])
def test_cli_text_is_the_text_tree(kit, capsys, kt, form):
    """`csrlearn asn1 FILE` prints str(byte_map(FILE)): one line per node after a two-line header, exit 0."""
    code, out, err = run(capsys, "asn1", str(kit[kt, form]))
    m = cl.byte_map(kit[kt, form])
    assert (code, err, out) == (0, "", str(m) + "\n")
    assert len(out.splitlines()) == 2 + len(m.nodes)


def test_index_picks_the_second_certificate_of_a_chain(kit):
    """byte_map(chain, index=1) maps the CA certificate, index 0 (the default) the leaf."""
    chain = kit["chain", "pem"]
    second, first = cl.byte_map(chain, index=1), cl.byte_map(chain)
    assert second.der == der_of(kit["chain", "ca"]) and first.der == der_of(kit["chain", "leaf"])
    assert only(second, "subject").value == f"CN={CA_CN}" and only(first, "issuer").value == f"CN={CA_CN}"
    assert second.nodes == cl.byte_map(kit["chain", "ca"]).nodes


def test_cli_index_1_maps_the_second_certificate(kit, capsys):
    """`csrlearn asn1 fullchain.pem --index 1 --json` is the CA certificate's map."""
    code, out, err = run(capsys, "asn1", str(kit["chain", "pem"]), "--index", "1", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == cl.byte_map(kit["chain", "ca"]).to_dict()


# ---------------------------------------------------------------------------------------------- secrets

@pytest.mark.parametrize("kt,form", KEY_FORMS, ids=KEY_FORM_IDS)
def test_private_key_secrets_are_marked(kit, kt, form):
    """Exactly the secret fields are secret=True with value '(secret: not shown)'; public parts stay readable."""
    m = mapped(kit, kt, form)
    assert m.kind == "private_key"
    secret = [n for n in m.nodes if n.secret]
    assert {n.name for n in secret} == SECRET_FIELDS[kt]
    assert all(n.value == SECRET and not n.has_children for n in secret)
    assert [n for n in m.nodes if n.value == SECRET] == secret
    if kt == "rsa":
        assert not only(m, "modulus").secret and only(m, "publicExponent").value == "65537"
    if form in ("sec1", "sec1-der"):
        assert not only(m, "ECPoint").secret and only(m, "namedCurve").value.startswith("prime256v1")


# Every view of every key form; the CLI views only for files (the CLI reads files, not objects).
VIEW_CASES = [(kt, form, view) for kt, form in KEY_FORMS
              for view in ("str", "repr", "html", "json", "cli", "cli --json")
              if form != "object" or not view.startswith("cli")]


@pytest.mark.parametrize("kt,form,view", VIEW_CASES, ids=[f"{kt}-{f}-{v}" for kt, f, v in VIEW_CASES])
def test_views_never_show_private_numbers(kit, capsys, kt, form, view):
    """No 6 bytes of any private number appear in the text, repr, HTML, JSON or CLI views of a key's map."""
    m = mapped(kit, kt, form)
    if view.startswith("cli"):
        code, text, err = run(capsys, "asn1", str(kit[kt, form]), *view.split()[1:])
        assert (code, err) == (0, "")
    else:
        text = {"str": str, "repr": repr, "html": lambda x: x._repr_html_(),
                "json": lambda x: json.dumps(x.to_dict())}[view](m)
    found = leaked(text, private_key(kit, kt))
    assert found == [], f"the {view} view shows part of the private numbers {found}"


@pytest.mark.parametrize("kt,form", KEY_FORMS, ids=KEY_FORM_IDS)
def test_hex_dump_masks_exactly_the_secret_bytes(kit, kt, form):
    """The HTML hex dump shows •• for each content byte of a secret field and the real byte everywhere else."""
    m = mapped(kit, kt, form)
    masked = {b for n in m.nodes if n.secret for b in range(n.content_offset, n.end)}
    cells = [cell for cell, _, _ in hexdump(m._repr_html_(), len(m.der))]
    wrong = [b for b, c in enumerate(cells) if c != ("••" if b in masked else f"{m.der[b]:02X}")]
    assert len(cells) == len(m.der) and masked and wrong == []


@pytest.mark.parametrize("kt", KEY_TYPES)
def test_leak_detector_sees_openssl_printing_the_key(kit, kt):
    """The leak check is not blind: openssl asn1parse of the key (which prints its numbers) is caught."""
    path = kit[kt, "pkcs1" if kt == "rsa" else "sec1" if kt == "ec" else "key"]
    args = ("asn1parse", "-in", str(path)) + (("-strparse", "12") if kt == "ed25519" else ())
    text = run_openssl(*args).stdout.decode()
    assert leaked(text, private_key(kit, kt))


@pytest.mark.parametrize("wrapper", ["unencrypted PKCS#12", "key relabelled CERTIFICATE"])
def test_private_key_in_an_unrecognised_wrapper_is_never_shown(kit, tmp_path, wrapper):
    """A private key inside a container byte_map does not name (a PKCS#12 without encryption, a relabelled PEM)
    is refused or masked: no view shows its numbers."""
    if wrapper == "unencrypted PKCS#12":
        kt, path = "ec", tmp_path / "plain.p12"
        run_openssl("pkcs12", "-export", "-inkey", str(kit["ec", "key"]), "-in", str(kit["ec", "crt"]),
                    "-out", str(path), "-keypbe", "NONE", "-certpbe", "NONE", "-passout", "pass:")
    else:
        kt, path = "rsa", tmp_path / "relabelled.crt"
        path.write_text(kit["rsa", "key"].read_text().replace("PRIVATE KEY", "CERTIFICATE"))
    try:
        m = cl.byte_map(path)
    except cl.CsrLearnError:
        return  # refusing the file is as safe as masking it
    key = private_key(kit, kt)
    found = {view: leaked(text, key) for view, text in
             (("str", str(m)), ("html", m._repr_html_()), ("json", json.dumps(m.to_dict())))}
    assert {v: f for v, f in found.items() if f} == {}


# ---------------------------------------------------------------------------------------------- hostile input

HOSTILE_DER = {
    "empty": (b"", "is empty"),
    "tag without length": (b"\x30", "no length byte"),
    "length field cut short": (b"\x30\x82\x01", "length field runs past the end"),
    "five length bytes": (b"\x30\x85\x01\x00\x00\x00\x00", "length field runs past the end"),
    "length past the end": (b"\x30\x05\x02\x01\x05", "says it holds 5 bytes but only 3 remain"),
    "child past its parent": (b"\x30\x03\x02\x05\x01\x00\x00\x00\x00", "says it holds 5 bytes but only 1 remain"),
    "indefinite length (BER)": (b"\x30\x80\x02\x01\x05\x00\x00", "indefinite length"),
    "high tag number cut": (b"\x1f\x81", "tag runs past the end"),
    "49 nested SEQUENCEs": (nest(49), "nested more than 48 levels"),
    "3000 nested SEQUENCEs": (nest(3000), "nested more than 48 levels"),
}


@pytest.mark.parametrize("case", list(HOSTILE_DER))
def test_hostile_der_raises_input_error(case):
    """Broken DER raises InputError with a one-line message saying what is wrong, never another exception."""
    data, message = HOSTILE_DER[case]
    with pytest.raises(cl.CsrLearnError) as e:
        cl.byte_map(data)
    assert isinstance(e.value, InputError)
    assert str(e.value).startswith("<input>: ") and message in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("case", list(HOSTILE_DER))
def test_cli_exits_2_on_hostile_der(tmp_path, capsys, case):
    """`csrlearn asn1` on a broken DER file exits 2, one line 'csrlearn: FILE: ...' on stderr, nothing on stdout."""
    data, message = HOSTILE_DER[case]
    path = tmp_path / "bad.der"
    path.write_bytes(data)
    code, out, err = run(capsys, "asn1", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"csrlearn: {path}: ") and message in err and err.count("\n") == 1
    assert "internal error" not in err


def test_nesting_within_the_limit_is_mapped():
    """40 nested SEQUENCEs around an INTEGER are real enough: mapped to depth 40, every byte tiled."""
    m = cl.byte_map(nest(40, b"\x02\x01\x07"))
    assert [n.depth for n in m.nodes] == list(range(41)) and m.nodes[-1].value == "7"
    assert structure_problems(m) == []


@pytest.mark.parametrize("form", ["csr", "crt", "key", "pub"])
def test_every_truncation_of_real_der_raises_input_error(kit, form):
    """Every strict prefix of an openssl-made DER is refused as truncated, never mapped or crashed on."""
    der = der_of(kit["ec", form]) if form != "key" else kit["ec", "key-der"].read_bytes()
    wrong = []
    for cut in range(1, len(der)):
        try:
            cl.byte_map(der[:cut])
            wrong.append((cut, "mapped"))
        except cl.CsrLearnError as e:
            if not isinstance(e, InputError) or "truncated" not in str(e):
                wrong.append((cut, str(e)[:80]))
    assert wrong == []


@pytest.mark.parametrize("form", ["csr-der", "crt-der", "pub-der"])
def test_mutated_der_is_refused_or_tiled(kit, form):
    """Randomly corrupted DER (seeded) raises InputError or maps with every byte tiled, never another exception."""
    der = kit["rsa", form].read_bytes()
    rng = random.Random(form)
    problems = []
    for trial in range(300):
        d = bytearray(der)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(d))
            choice = rng.random()
            if choice < 0.6:
                d[i] = rng.randrange(256)
            elif choice < 0.8:
                d.insert(i, rng.randrange(256))
            else:
                del d[i]
        try:
            m = cl.byte_map(bytes(d))
        except InputError:
            continue
        str(m), m._repr_html_(), m.to_dict()
        if structure_problems(m):
            problems.append(trial)
    assert problems == []


@pytest.fixture(scope="module")
def pem_cases(kit, tmp_path_factory) -> dict[str, tuple[Path, int, str]]:
    """Hostile PEM files, made once: name -> (path, index, what the message must say)."""
    tmp_path = tmp_path_factory.mktemp("hostile")

    def write(name: str, data: bytes) -> Path:
        p = tmp_path / name
        p.write_bytes(data)
        return p

    params = tmp_path / "params.pem"
    run_openssl("ecparam", "-name", "prime256v1", "-out", str(params))
    encrypted = tmp_path / "old-style.key"
    run_openssl("rsa", "-in", str(kit["rsa", "key"]), "-aes256", "-traditional", "-passout", "pass:x", "-out",
                str(encrypted))
    crt = kit["rsa", "crt"].read_text().splitlines()
    return {
        "only EC PARAMETERS": (params, 0, "holds no PEM block with a key, CSR or certificate"),
        "a BEGIN without label": (write("begin.pem", b"-----BEGIN\nnot really\n"), 0, "holds no PEM block"),
        "corrupted base64": (write("b64.pem", b"-----BEGIN CERTIFICATE-----\nMII*\n-----END CERTIFICATE-----\n"), 0,
                             "base64 inside the CERTIFICATE block is corrupted"),
        "empty block": (write("empty.pem", b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), 0,
                        "the CERTIFICATE block is empty"),
        "truncated PEM": (write("cut.pem", "\n".join(crt[:4] + crt[-1:]).encode()), 0, "truncated"),
        "old-style encryption": (encrypted, 0, "Proc-Type"),
        "index past the last block": (kit["chain", "pem"], 2, "has 2 PEM block(s); there is no block number 2"),
        "negative index": (kit["rsa", "crt"], -1, "has 1 PEM block(s); there is no block number -1"),
        "index into DER": (kit["rsa", "crt-der"], 1, "is one DER structure; there is no block number 1"),
        "empty file": (write("empty.crt", b""), 0, "is empty"),
        "missing file": (tmp_path / "missing.crt", 0, "no such file"),
    }


PEM_CASES = ["only EC PARAMETERS", "a BEGIN without label", "corrupted base64", "empty block", "truncated PEM",
             "old-style encryption", "index past the last block", "negative index", "index into DER", "empty file",
             "missing file"]


@pytest.mark.parametrize("case", PEM_CASES)
def test_hostile_file_raises_input_error(pem_cases, case):
    """A file with no usable block, a broken block or a bad --index raises InputError naming the file."""
    path, index, message = pem_cases[case]
    with pytest.raises(cl.CsrLearnError) as e:
        cl.byte_map(path, index=index)
    assert isinstance(e.value, InputError)
    assert str(e.value).startswith(f"{path}: ") and message in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("case", PEM_CASES)
def test_cli_exits_2_on_hostile_file(pem_cases, capsys, case):
    """`csrlearn asn1 FILE [--index N]` on those files exits 2 with one line 'csrlearn: FILE: ...' and no stdout."""
    path, index, message = pem_cases[case]
    code, out, err = run(capsys, "asn1", str(path), "--index", str(index))
    assert (code, out) == (2, "")
    assert err.startswith(f"csrlearn: {path}: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize("value", [None, 42, 3.5, ["a.crt"], object()])
def test_non_input_values_raise_input_error(value):
    """Something that is no key, CSR, certificate, path or bytes raises InputError naming its type."""
    with pytest.raises(InputError, match=f"but got {type(value).__name__}"):
        cl.byte_map(value)
