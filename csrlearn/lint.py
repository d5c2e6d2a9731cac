"""Before you send it: what a public CA will reject in a CSR, why, and how to fix it.

``lint(csr)`` checks a CSR against the rules public CAs and certificate linters enforce (the CA/Browser
Forum Baseline Requirements, RFC 5280) and returns a list of ``Finding`` s, errors first. Each finding
says what is wrong, why it matters and how to fix it; a notebook cell ending in ``lint(csr)`` shows a
table, ``print(...)`` a terminal report, and ``csrlearn lint FILE`` exits 1 on any error.

    >>> import csrlearn as cl
    >>> key = cl.generate_key("ec")
    >>> csr = cl.build_csr(key, cl.Subject(common_name="www.example.com"), ["www.example.com"])
    >>> cl.lint(csr)
    []
"""
from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from typing import Any, Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import AttributeOID, NameOID

from .csr import signature_valid
from .errors import InputError, where
from .files import _short

__all__ = ["lint", "Finding", "Findings", "CODES", "SEVERITIES", "is_public_suffix"]

SEVERITIES = ("error", "warning", "info")

# code -> (why it matters, how to fix it). The message (what is wrong here) is written per finding.
CODES: dict[str, tuple[str, str]] = {
    "weak-key": (
        "Public CAs accept only RSA keys of at least 2048 bits with an odd public exponent of at least 65537, "
        "and ECDSA keys on P-256, P-384 or P-521 (CA/Browser Forum Baseline Requirements 6.1.5-6.1.6). "
        "A smaller key can be factored; an exponent of 3 invites old padding attacks.",
        "Make a new key and a new CSR: csrlearn new --key-type rsa --bits 2048 (or --key-type ec), or "
        "openssl req -newkey rsa:2048 / -newkey ec -pkeyopt ec_paramgen_curve:P-256."),
    "weak-signature-hash": (
        "MD5 and SHA-1 collisions can be computed, so a signature over them proves little; CAs refuse such CSRs "
        "and browsers have rejected SHA-1 certificates since 2017.",
        "Sign the CSR again with SHA-256: openssl req -new -key KEY -sha256 … (csrlearn uses SHA-256 by default)."),
    "bad-signature": (
        "The CSR is signed with the private key to prove the requester holds it. A signature that does not "
        "verify means the CSR was altered after signing, damaged in transit, or signed with another key; "
        "every CA rejects it.",
        "Copy the CSR again from where it was made, or make it again from the key: openssl req -new -key KEY …"),
    "missing-san": (
        "Browsers read host names only from the subjectAltName extension (Chrome since 2017 ignores the CN), "
        "and the Baseline Requirements make it mandatory.",
        "Add the names: csrlearn new --cn NAME --san NAME (csrlearn adds the CN itself), or "
        "openssl req … -addext \"subjectAltName=DNS:www.example.com\"."),
    "cn-not-in-san": (
        "If a CN is present it must be one of the certificate's SANs (Baseline Requirements 7.1.4.3); "
        "a CA will either add it as a SAN or reject the request.",
        "List the CN among the SANs too, or leave the CN out."),
    "bad-country": (
        "The country (C) must be a two-letter upper-case ISO 3166-1 code (RFC 5280, Baseline Requirements); "
        "a CA validating an organization will reject anything else.",
        "Use the ISO code, e.g. US, DE, GB (not UK), or leave C out for a domain-validated certificate."),
    "cn-too-long": (
        "RFC 5280 limits the common name to 64 characters, and CAs enforce it; longer names belong only in the "
        "subjectAltName, which has no such limit.",
        "Leave the CN out (or use a shorter name) and put the long name in the subjectAltName."),
    "bad-dns-name": (
        "A DNS name in a certificate must be a fully qualified domain name: labels of 1 to 63 letters, digits or "
        "hyphens (not starting or ending with one), at most 253 characters, in ASCII (an international name as "
        "xn-- punycode). Since 2015 public CAs refuse internal names and since 2019 names with underscores.",
        "Correct the name (registered domain, no underscores, no spaces, punycode for IDNs); use an IP SAN for "
        "an address; for internal names use a private CA."),
    "bad-wildcard": (
        "A wildcard may only be the whole left-most label ('*.example.com'); it covers exactly one label, and "
        "no CA issues one directly over a public suffix such as '*.com' or '*.co.uk'.",
        "Write the wildcard as '*.' followed by your own registered domain, e.g. *.example.com, or list the "
        "host names one by one."),
    "ip-in-cn": (
        "An IP address in the common name is obsolete: clients check IP addresses only in IP SANs, and many "
        "public CAs do not issue for IP addresses at all.",
        "Put the address in an IP SAN (csrlearn new --san 203.0.113.7, openssl -addext subjectAltName=IP:…) "
        "and use a host name as CN, or no CN."),
    "ou-deprecated": (
        "Since September 2022 public TLS certificates may not contain an organizational unit (OU); CAs reject "
        "the request or drop the field.",
        "Leave OU out of the subject."),
    "email-in-san": (
        "An email address is not a TLS server name: public TLS CAs refuse email SANs (they belong in S/MIME "
        "certificates).",
        "Remove the email SAN; ask for an S/MIME certificate if you need one for email."),
    "uri-in-san": (
        "A URI is not a TLS server name: public TLS CAs refuse URI SANs.",
        "Remove the URI SAN and list the host name as a DNS SAN instead."),
    "challenge-password": (
        "The challengePassword attribute is stored in clear text inside the CSR, which you send to the CA and "
        "which may be published; CAs ignore it. It is not the key's passphrase.",
        "Make the CSR again without it (answer the 'challenge password' prompt with an empty line, or drop "
        "[req_attributes] from the openssl config)."),
    "empty-subject": (
        "A CSR with an empty subject is legal only if it has subjectAltNames: then the names live in the SAN "
        "alone (and the CA marks that extension critical, RFC 5280 4.2.1.6).",
        "Nothing to do if the SANs are right; otherwise add SANs (or a CN)."),
}

_ORDER = {s: i for i, s in enumerate(SEVERITIES)}

_WEAK_SIG_OIDS = {
    "1.2.840.113549.1.1.4": "MD5", "1.2.840.113549.1.1.5": "SHA-1", "1.2.840.10045.4.1": "SHA-1",
    "1.2.840.10040.4.3": "SHA-1", "1.3.14.3.2.29": "SHA-1", "1.2.840.113549.1.1.2": "MD2",
    "1.2.840.113549.1.1.3": "MD4",
}
_CURVES_OK = {"secp256r1", "secp384r1", "secp521r1"}
_HINTS = {"UK": "the ISO code for the United Kingdom is GB", "EL": "the ISO code for Greece is GR",
          "EU": "EU is not a country", "USA": "use the two-letter code US"}

# ISO 3166-1 alpha-2, all 249 officially assigned codes (checked against Debian's iso-codes).
ISO_3166 = frozenset("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC
CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE
GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM
KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH
SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG
VI VN VU WF WS YE YT ZA ZM ZW""".split())
# "XX": the Baseline Requirements allow this user-assigned code when no ISO code fits.
_COUNTRY_OK = ISO_3166 | {"XX"}


@dataclass(frozen=True)
class Finding:
    """One problem in a CSR: how bad (error | warning | info), a stable code, and what to do about it."""

    severity: str
    code: str
    message: str
    why: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        """The ``lint --json`` shape of one finding."""
        return {"code": self.code, "severity": self.severity, "message": self.message, "why": self.why,
                "fix": self.fix}

    def __str__(self) -> str:
        return f"{self.severity}: {self.code}: {self.message}"

    def _repr_html_(self) -> str:
        from .render import findings_html
        return findings_html([self])


class Findings(list):
    """A list of ``Finding`` s (errors first) that shows as a table in a notebook and a report in a terminal.

    ``errors`` / ``warnings`` filter by severity; ``ok`` is true when nothing is an error (what
    ``csrlearn lint`` turns into exit code 0); ``codes`` lists the codes in order.
    """

    def __init__(self, findings: Iterable[Finding] = (), *, source: str | None = None) -> None:
        super().__init__(findings)
        self.source = source

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self]

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self]}

    def summary(self) -> str:
        """``1 error, 2 warnings``: the count of each severity that occurs (empty when there are no findings)."""
        counts = [(sum(1 for f in self if f.severity == s), s) for s in SEVERITIES]
        return ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for n, s in counts if n)

    def __str__(self) -> str:
        from .render import findings_text
        return findings_text(self, title=f"{self.source}:" if self.source else None)

    def _repr_html_(self) -> str:
        from .render import findings_html
        return findings_html(self, title=self.source)


def _finding(severity: str, code: str, message: str, *, fix: str | None = None) -> Finding:
    why, default_fix = CODES[code]
    return Finding(severity, code, message, why, fix or default_fix)


# ---------------------------------------------------------------------------------------------- input

def _csr_of(csr: Any, passphrase: Any = None) -> tuple[x509.CertificateSigningRequest, str | None]:
    from .files import Item, is_source, load
    if isinstance(csr, x509.CertificateSigningRequest):
        return csr, None
    if isinstance(csr, Item):
        if csr.kind != "csr":
            raise InputError(f"{csr.name}: is a {csr.kind.replace('_', ' ')}; lint checks CSRs")
        return csr.obj, csr.name
    if isinstance(csr, x509.Certificate):
        raise InputError("this is a certificate; lint checks CSRs (csrlearn decode shows a certificate's fields)")
    if is_source(csr):
        items = load(csr, passphrase=passphrase, check_keys=False)
        csrs = [i for i in items if i.kind == "csr"]
        path = items[0].path if items else None
        if not csrs:
            kinds = ", ".join(sorted({i.kind.replace("_", " ") for i in items}))
            raise InputError(f"{where(path)}holds no CSR (it holds: {kinds}); lint checks CSRs")
        if len(csrs) > 1:
            raise InputError(f"{where(path)}holds {len(csrs)} CSRs: lint them one by one (csrlearn lint checks each)")
        return csrs[0].obj, path
    raise InputError(f"expected a CSR (object, Item, path or PEM), but got {type(csr).__name__}")


# ---------------------------------------------------------------------------------------------- rules

def lint(csr: Any, *, passphrase: str | bytes | None = None) -> Findings:
    """Check a CSR the way a public CA would; findings come errors first, then warnings, then info.

    ``csr`` is a cryptography CSR, a loaded ``Item`` or a path (a file holding exactly one CSR).
    An empty result means no rule fired.
    """
    obj, source = _csr_of(csr, passphrase)
    out: list[Finding] = []
    out += _key_findings(obj)
    out += _signature_findings(obj)
    out += _name_findings(obj, source)
    out += _attribute_findings(obj)
    out.sort(key=lambda f: _ORDER[f.severity])  # stable: rule order within one severity
    return Findings(out, source=source)


def _key_findings(csr: x509.CertificateSigningRequest) -> list[Finding]:
    try:
        pub = csr.public_key()
    except Exception as e:  # an unknown curve or algorithm, or numbers no key pair can have (an even RSA exponent)
        return [_finding("error", "weak-key", f"the public key is unusable ({_short(e)}): no CA can issue for it")]
    if isinstance(pub, rsa.RSAPublicKey):
        out = []
        e = pub.public_numbers().e
        if pub.key_size < 2048:
            out.append(_finding("error", "weak-key", f"RSA key of {pub.key_size} bits: at least 2048 are required"))
        if e % 2 == 0:
            out.append(_finding("error", "weak-key", f"RSA public exponent {e} is even: it must be odd (65537)"))
        elif e < 65537:
            out.append(_finding("error", "weak-key", f"RSA public exponent {e} is too small: use 65537"))
        return out
    if isinstance(pub, ec.EllipticCurvePublicKey):
        if pub.curve.name not in _CURVES_OK:
            return [_finding("error", "weak-key",
                             f"EC key on curve {pub.curve.name}: public CAs accept only P-256, P-384 and P-521")]
        return []
    if isinstance(pub, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        kind = "Ed25519" if isinstance(pub, ed25519.Ed25519PublicKey) else "Ed448"
        return [_finding("warning", "weak-key",
                         f"{kind} key: strong, but public CAs do not issue TLS certificates for it yet "
                         f"(fine for a private CA)",
                         fix="For a public CA make an ECDSA P-256 or RSA 2048 key instead: csrlearn new --key-type ec.")]
    if isinstance(pub, dsa.DSAPublicKey):
        return [_finding("error", "weak-key", f"DSA key ({pub.key_size} bits): no public CA accepts DSA any more")]
    return [_finding("error", "weak-key", f"a {type(pub).__name__} key: public CAs accept only RSA and ECDSA")]


def _signature_findings(csr: x509.CertificateSigningRequest) -> list[Finding]:
    out = []
    oid = csr.signature_algorithm_oid.dotted_string
    weak = _WEAK_SIG_OIDS.get(oid)
    if weak is None:
        try:
            h = csr.signature_hash_algorithm  # e.g. RSASSA-PSS names its hash in the parameters
        except Exception:
            h = None
        if isinstance(h, (hashes.MD5, hashes.SHA1)):
            weak = h.name.upper().replace("SHA1", "SHA-1")
    if weak:
        name = getattr(csr.signature_algorithm_oid, "_name", oid)
        out.append(_finding("error", "weak-signature-hash", f"the CSR is signed with {weak} ({name})"))
    if not signature_valid(csr):
        out.append(_finding("error", "bad-signature", "the self-signature does not verify with the CSR's own public key"))
    return out


def _name_findings(csr: x509.CertificateSigningRequest, source: str | None) -> list[Finding]:
    out: list[Finding] = []
    try:
        ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        sans = list(ext.value)
    except x509.ExtensionNotFound:
        sans = []
    except (ValueError, x509.DuplicateExtension) as e:
        raise InputError(f"{where(source) or '<input>: '}the CSR's extensions cannot be read ({_short(e)}): "
                         f"make the CSR again") from None
    dns = [g.value for g in sans if isinstance(g, x509.DNSName)]
    ips = [g.value for g in sans if isinstance(g, x509.IPAddress)]
    subject = csr.subject
    cns = [a.value for a in subject.get_attributes_for_oid(NameOID.COMMON_NAME) if isinstance(a.value, str)]

    if not dns and not ips:
        what = "no subjectAltName extension" if not sans else "no DNS name or IP address in the subjectAltName"
        out.append(_finding("error", "missing-san", f"{what}: browsers will not accept the certificate for any host"))

    for cn in cns:
        if len(cn) > 64:
            out.append(_finding("error", "cn-too-long", f"the common name has {len(cn)} characters (at most 64)"))
        ip = _as_ip(cn)
        if ip is not None:
            out.append(_finding("warning", "ip-in-cn", f"the common name {cn!r} is an IP address"))
            if (dns or ips) and ip not in ips:
                out.append(_finding("warning", "cn-not-in-san", f"the common name {cn!r} is not among the IP SANs"))
            continue
        if "*" in cn:
            problem = _wildcard_problem(cn)
            if problem:
                out.append(_finding("error", "bad-wildcard", f"common name {cn!r}: {problem}"))
        else:
            problem = _dns_problem(cn)
            if problem:
                out.append(_finding("error", "bad-dns-name", f"the common name {cn!r} is not a host name: {problem}"))
        if dns or ips:
            wanted = _normal(cn)
            if wanted not in {_normal(d) for d in dns}:
                out.append(_finding("warning", "cn-not-in-san", f"the common name {cn!r} is not among the DNS SANs"))

    for name in dns:
        if "*" in name:
            problem = _wildcard_problem(name)
            if problem:
                out.append(_finding("error", "bad-wildcard", f"SAN {name!r}: {problem}"))
            continue
        problem = _dns_problem(name)
        if problem:
            out.append(_finding("error", "bad-dns-name", f"SAN {name!r}: {problem}"))

    for a in subject.get_attributes_for_oid(NameOID.COUNTRY_NAME):
        value = a.value if isinstance(a.value, str) else repr(a.value)
        if value not in _COUNTRY_OK:
            hint = _HINTS.get(value.upper()) or (f"country codes are upper case: {value.upper()}"
                                                 if value.upper() in ISO_3166 else "not an ISO 3166-1 code")
            out.append(_finding("error", "bad-country", f"country (C) {value!r}: {hint}"))

    for a in subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME):
        out.append(_finding("warning", "ou-deprecated", f"the subject has an organizational unit: OU={a.value}"))

    for g in sans:
        if isinstance(g, x509.RFC822Name):
            out.append(_finding("error", "email-in-san", f"email SAN {g.value!r}"))
        elif isinstance(g, x509.UniformResourceIdentifier):
            out.append(_finding("error", "uri-in-san", f"URI SAN {g.value!r}"))

    if len(subject) == 0:
        if dns or ips:
            out.append(_finding("info", "empty-subject", "the subject is empty; the names are in the subjectAltName only"))
        else:
            out.append(_finding("error", "empty-subject", "the subject is empty and there are no SANs: the CSR names no host",
                                fix="Add the host names as SANs (and optionally a CN): csrlearn new --cn NAME."))
    return out


def _attribute_findings(csr: x509.CertificateSigningRequest) -> list[Finding]:
    try:
        attrs = list(csr.attributes)
    except Exception:  # unreadable attributes: decode reports them; nothing a rule can say
        return []
    for a in attrs:
        if a.oid == AttributeOID.CHALLENGE_PASSWORD:
            return [_finding("warning", "challenge-password",
                             f"the CSR carries a challengePassword attribute ({len(a.value)} characters, in clear text)")]
    return []


# ---------------------------------------------------------------------------------------------- names

_LABEL_RE = re.compile(r"[A-Za-z0-9-]+")


def _as_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _normal(name: str) -> str:
    name = name.strip().rstrip(".").lower()
    try:
        return name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        return name


def _dns_problem(name: str) -> str | None:
    """Why ``name`` is not a valid public DNS name (no wildcard), or None if it is one."""
    if not name:
        return "it is empty"
    if not name.isascii():
        return "it is not ASCII: an international name goes in as xn-- punycode (e.g. python -c \"print('…'.encode('idna'))\")"
    if " " in name:
        return "it contains a space"
    if name.endswith("."):
        return "it ends with a dot: leave the trailing dot out"
    if len(name) > 253:
        return f"it has {len(name)} characters (at most 253)"
    labels = name.split(".")
    for label in labels:
        if not label:
            return "it has an empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return f"the label {label[:20]!r}… has {len(label)} characters (at most 63)"
        if "_" in label:
            return f"the label {label!r} contains an underscore"
        if not _LABEL_RE.fullmatch(label):
            bad = sorted({c for c in label if not (c.isalnum() or c == "-")})
            return f"the label {label!r} contains {''.join(bad)!r}: only letters, digits and hyphens are allowed"
        if label.startswith("-") or label.endswith("-"):
            return f"the label {label!r} starts or ends with a hyphen"
    if all(label.isdigit() for label in labels):
        return "it is an IP address written as a DNS name: use an IP SAN"
    if len(labels) == 1:
        return "it is a single label, not a fully qualified domain name: public CAs do not issue for internal names"
    if labels[-1].isdigit():
        return "its top-level label is all digits"
    return None


def _wildcard_problem(name: str) -> str | None:
    """Why a name with ``*`` is not an acceptable wildcard, or None if it is one."""
    if not name.startswith("*.") or "*" in name[2:]:
        return "a wildcard is allowed only as the whole left-most label, as in '*.example.com'"
    rest = name[2:]
    problem = _dns_problem(rest)
    if problem and "single label" not in problem:
        return f"after '*.': {problem}"
    if is_public_suffix(rest):
        return f"'{rest}' is a public suffix: a wildcard directly over it would cover other people's domains"
    return None


# Used when the system has no public suffix list (Debian's publicsuffix package provides one): the
# multi-label suffixes people most often try a wildcard over. Every single label (com, uk) is a suffix anyway.
_FALLBACK_SUFFIXES = frozenset("""
co.uk org.uk ac.uk gov.uk me.uk ltd.uk plc.uk net.uk com.au net.au org.au edu.au gov.au co.nz org.nz co.jp ne.jp
or.jp ac.jp co.kr com.br net.br com.cn net.cn org.cn com.tw com.hk com.sg com.mx co.in net.in org.in co.za com.tr
com.ar co.il ac.il com.ua com.pl co.id gv.at co.at or.at github.io gitlab.io herokuapp.com netlify.app vercel.app
pages.dev blogspot.com appspot.com azurewebsites.net cloudfront.net s3.amazonaws.com firebaseapp.com web.app
""".split())
_PSL_PATHS = ("/usr/share/publicsuffix/public_suffix_list.dat", "/etc/ssl/public_suffix_list.dat")


@functools.lru_cache(maxsize=1)
def _suffix_rules() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(rules, wildcard parents, exceptions) from the public suffix list, or the small built-in list."""
    import os
    for path in _PSL_PATHS:
        if os.path.exists(path):
            rules, wild, exc = set(), set(), set()
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    line = line.strip().split(" ")[0]
                    if not line or line.startswith("//"):
                        continue
                    line = _normal(line)
                    if line.startswith("!"):
                        exc.add(line[1:])
                    elif line.startswith("*."):
                        wild.add(line[2:])
                    else:
                        rules.add(line)
            return frozenset(rules | _FALLBACK_SUFFIXES), frozenset(wild), frozenset(exc)
    return _FALLBACK_SUFFIXES, frozenset(), frozenset()


def is_public_suffix(name: str) -> bool:
    """True for names under which anyone may register a domain: ``com``, ``co.uk``, ``github.io``.

    Uses the system's public suffix list when there is one (Debian: ``publicsuffix``), else a built-in
    list of the common ones; any single label counts, since every top-level domain is a public suffix.
    """
    name = _normal(name)
    if not name:
        return False
    if "." not in name:
        return True
    rules, wild, exc = _suffix_rules()
    if name in exc:
        return False
    return name in rules or name.split(".", 1)[1] in wild
