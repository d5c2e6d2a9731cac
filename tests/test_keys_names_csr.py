"""Keys, subjects, SANs and CSR building: the first three steps of every certificate request."""
from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

import csrlearn as cl
from csrlearn.names import parse_san, parse_sans

from conftest import KEY_TYPES, run_openssl


@pytest.mark.parametrize("bits", [2048, 3072])
def test_generate_rsa_sizes(bits):
    """RSA keys come in the sizes CAs accept, always with exponent 65537."""
    key = cl.generate_key("rsa", bits=bits)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == bits and key.public_key().public_numbers().e == 65537


@pytest.mark.parametrize("curve,name", [("P-256", "secp256r1"), ("P-384", "secp384r1"), ("prime256v1", "secp256r1")])
def test_generate_ec_curves(curve, name):
    """EC keys use the NIST curve named by its common or openssl spelling."""
    key = cl.generate_key("ec", curve=curve)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == name


def test_generate_ed25519():
    """Ed25519 keys are generated without size options."""
    assert isinstance(cl.generate_key("ed25519"), ed25519.Ed25519PrivateKey)


@pytest.mark.parametrize("kwargs,fragment", [
    ({"kind": "dsa"}, "key type must be rsa, ec or ed25519"),
    ({"kind": "rsa", "bits": 1024}, "RSA key size must be one of 2048, 3072, 4096"),
    ({"kind": "ec", "curve": "P-192"}, "curve must be P-256, P-384 or P-521"),
])
def test_generate_key_rejects_bad_options(kwargs, fragment):
    """Bad key options raise a ValidationError that says what is allowed."""
    kind = kwargs.pop("kind")
    with pytest.raises(cl.ValidationError, match=fragment):
        cl.generate_key(kind, **kwargs)


def test_subject_parse_openssl_syntax():
    """Subject.parse reads openssl's -subj syntax, including an escaped slash."""
    s = cl.Subject.parse("/C=us/ST=CA/L=San Francisco/O=Acme\\/West/OU=Web/CN=www.example.com/emailAddress=a@example.com")
    assert (s.country, s.state, s.locality, s.organization) == ("US", "CA", "San Francisco", "Acme/West")
    assert (s.organizational_unit, s.common_name, s.email) == ("Web", "www.example.com", "a@example.com")
    assert cl.Subject.parse(str(s)) == s


def test_subject_parse_rfc4514():
    """Subject.parse also reads the comma form that tools print."""
    assert cl.Subject.parse("CN=x.example.com, O=Acme, C=DE") == cl.Subject(common_name="x.example.com", organization="Acme", country="DE")


@pytest.mark.parametrize("kwargs,fragment", [
    ({"country": "USA"}, "two-letter ISO 3166"),
    ({"country": "1A"}, "two-letter"),
    ({"common_name": "a" * 65}, "at most 64 characters"),
    ({"organization": ""}, "empty"),
    ({"locality": "x" * 129}, "at most 128"),
])
def test_subject_validation(kwargs, fragment):
    """Subject fields follow RFC 5280 bounds and a two-letter country, with clear errors."""
    with pytest.raises(cl.ValidationError, match=fragment):
        cl.Subject(**kwargs)


def test_subject_unknown_field():
    """An unknown -subj field is named in the error."""
    with pytest.raises(cl.ValidationError, match="unknown subject field 'XX'"):
        cl.Subject.parse("/XX=1/CN=a")


def test_subject_utf8_values_survive():
    """UTF-8 values (accents, CJK) round-trip through a CSR."""
    s = cl.Subject(common_name="bücher.example", organization="Société Générale 株式会社")
    csr = cl.build_csr(cl.generate_key("ec"), s)
    assert cl.Subject.from_name(csr.subject) == s


@pytest.mark.parametrize("text,expected", [
    ("www.example.com", x509.DNSName("www.example.com")),
    ("*.example.com", x509.DNSName("*.example.com")),
    ("203.0.113.7", x509.IPAddress(ipaddress.ip_address("203.0.113.7"))),
    ("2001:db8::1", x509.IPAddress(ipaddress.ip_address("2001:db8::1"))),
    ("admin@example.com", x509.RFC822Name("admin@example.com")),
    ("https://example.com/id", x509.UniformResourceIdentifier("https://example.com/id")),
    ("DNS:foo.example.com", x509.DNSName("foo.example.com")),
    ("IP:10.0.0.1", x509.IPAddress(ipaddress.ip_address("10.0.0.1"))),
    ("bücher.example", x509.DNSName("xn--bcher-kva.example")),
])
def test_parse_san_auto_types(text, expected):
    """SAN strings are typed automatically: DNS, IPv4/IPv6, email, URI; IDNs become punycode."""
    assert parse_san(text) == expected


@pytest.mark.parametrize("text", ["bad name.example.com", "a..b", "-x-.example.com" * 30, "IP:300.1.1.1", "@x"])
def test_parse_san_rejects_garbage(text):
    """Malformed SANs are refused with a ValidationError."""
    with pytest.raises(cl.ValidationError):
        parse_san(text)


def test_parse_sans_string_and_duplicates():
    """A comma/space separated string of SANs is split and de-duplicated in order."""
    assert [g.value for g in parse_sans("a.example.com, b.example.com a.example.com")] == ["a.example.com", "b.example.com"]


@pytest.mark.parametrize("kind", KEY_TYPES)
def test_build_csr_verifies_in_openssl(kind, tmp_path):
    """A CSR built by csrlearn is read and verified by openssl, with its subject and SANs."""
    key = cl.generate_key(kind)
    csr = cl.build_csr(key, "/C=US/O=Acme/CN=www.example.com", ["www.example.com", "203.0.113.7", "ops@example.com"])
    path = tmp_path / "x.csr"
    cl.save(csr, path)
    out = run_openssl("req", "-in", str(path), "-noout", "-verify", "-subject", "-text")
    text = out.stdout.decode() + out.stderr.decode()
    assert "verify OK" in text and "verify failure" not in text
    assert "subject=C = US, O = Acme, CN = www.example.com" in text
    assert "DNS:www.example.com, IP Address:203.0.113.7, email:ops@example.com" in text


def test_build_csr_hash_choice():
    """The signature hash defaults to SHA-256 and can be chosen; Ed25519 ignores it."""
    key = cl.generate_key("ec")
    assert cl.build_csr(key, cl.Subject(common_name="a.example")).signature_hash_algorithm.name == "sha256"
    assert cl.build_csr(key, cl.Subject(common_name="a.example"), hash="sha384").signature_hash_algorithm.name == "sha384"
    assert cl.build_csr(cl.generate_key("ed25519"), cl.Subject(common_name="a.example"), hash="sha1").signature_hash_algorithm is None
    with pytest.raises(cl.ValidationError, match="hash must be one of"):
        cl.build_csr(key, cl.Subject(common_name="a.example"), hash="sha3")


def test_build_csr_needs_a_name():
    """A CSR with neither subject nor SAN is refused; SANs alone are fine."""
    key = cl.generate_key("ec")
    with pytest.raises(cl.ValidationError, match="common name or at least one SAN"):
        cl.build_csr(key)
    assert cl.build_csr(key, None, ["only.example.com"]).subject == x509.Name([])


@pytest.mark.parametrize("subject,sans,name,stem", [
    ("/CN=*.example.com", [], None, "star.example.com"),
    (None, ["203.0.113.7", "a.example"], None, "203.0.113.7"),
    (r"/CN=..\/..\/etc\/passwd", [], None, "etc_passwd"),
    ("/CN=.hidden", [], None, "hidden"),
    ("/CN=www.example.com", [], "my server", "my_server"),
    (None, [], None, "request"),
])
def test_file_stem_is_a_safe_name_from_the_request(subject, sans, name, stem):
    """NAME.key / NAME.csr: the given name, else the CN, else the first SAN, never a path or a hidden file."""
    from csrlearn.names import file_stem
    subj = cl.Subject.parse(subject) if subject else None
    assert file_stem(subj, cl.parse_sans(sans), name=name) == stem
