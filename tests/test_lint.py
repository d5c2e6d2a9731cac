"""lint and `csrlearn lint`: each rule gets a CSR made by openssl, or by the library where openssl refuses."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, NamedTuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import csrlearn as cl
from csrlearn.cli import main
from csrlearn.csr import signature_valid
from csrlearn.lint import SEVERITIES
from conftest import OPENSSL_NEWKEY, openssl_key_csr_cert, run_openssl

CN = "www.example.com"
SAN = f"subjectAltName=DNS:{CN}"
EC = OPENSSL_NEWKEY["ec"]
RSA = OPENSSL_NEWKEY["rsa"]
EXPONENT_65537 = bytes.fromhex("0203010001")  # INTEGER 65537, as it sits in an RSA SubjectPublicKeyInfo


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def req(tmp: Path, *extra: str, newkey: list[str] = EC, key: Path | None = None, subj: str = f"/CN={CN}",
        san: str | None = SAN, der: bool = False) -> Path:
    """`openssl req -new` with a fresh key (or KEY); returns the CSR's path (the key stays in tmp, unread)."""
    csr = tmp / ("case.der" if der else "case.csr")
    keyargs = ["-key", str(key)] if key else [*newkey, "-nodes", "-keyout", str(tmp / "case.key")]
    run_openssl("req", "-new", *keyargs, "-out", str(csr), "-subj", subj, *(["-addext", san] if san else []),
                *(["-outform", "DER"] if der else []), *extra)
    return csr


def small_exponent(tmp: Path) -> Path:
    """RSA 2048 with public exponent 3, made by openssl genpkey."""
    key = tmp / "e3.key"
    run_openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3",
                "-out", str(key))
    return req(tmp, key=key)


def challenge_password(tmp: Path) -> Path:
    """A challengePassword attribute, the way people get one: openssl's [req_attributes] in a config with prompt = no."""
    cnf = tmp / "req.cnf"
    cnf.write_text("[req]\nprompt = no\ndistinguished_name = dn\nattributes = attrs\n"
                   f"[dn]\nCN = {CN}\n[attrs]\nchallengePassword = s3cretpass\n")
    csr = tmp / "case.csr"
    run_openssl("req", "-new", *EC, "-nodes", "-keyout", str(tmp / "case.key"), "-config", str(cnf),
                "-addext", SAN, "-out", str(csr))
    return csr


def long_cn(tmp: Path) -> Path:
    """A 65-character CN (also the SAN): openssl refuses it (ASN1 maxsize=64), so the library builds it."""
    name = "a" * 53 + ".example.com"
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name, _validate=False)]))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
           .sign(key, hashes.SHA256()))
    path = tmp / "case.csr"
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    return path


def flipped_signature(newkey: list[str]) -> Callable[[Path], Path]:
    """An openssl-made DER CSR with one bit of its signature (the file's last byte) flipped."""
    def make(tmp: Path) -> Path:
        csr = req(tmp, newkey=newkey, der=True)
        data = bytearray(csr.read_bytes())
        data[-1] ^= 0x01
        bad = tmp / "flipped.der"
        bad.write_bytes(bytes(data))
        check = run_openssl("req", "-in", str(bad), "-inform", "DER", "-noout", "-verify", check=False)
        if b"verify OK" in check.stdout + check.stderr:
            pytest.fail("openssl still verifies the CSR with a flipped signature bit: the case is not what it claims")
        return bad
    return make


def even_exponent(tmp: Path) -> Path:
    """An openssl-made RSA CSR whose exponent 65537 is rewritten to 65538 in the DER (same length).

    No tool makes such a key (openssl genpkey refuses an even exponent: no private key exists for it),
    so the DER is edited by hand; its signature cannot verify either.
    """
    der = req(tmp, newkey=RSA, der=True).read_bytes()
    assert der.count(EXPONENT_65537) == 1, "the exponent's bytes must occur exactly once to be rewritten safely"
    path = tmp / "even.der"
    path.write_bytes(der.replace(EXPONENT_65537, bytes.fromhex("0203010002")))
    return path


class Case(NamedTuple):
    id: str
    make: Callable[[Path], Path]
    expected: list[tuple[str, str]]  # exactly these (severity, code) findings, in this order
    fragment: str  # appears in the findings' messages


LONG_CN_WARNING = pytest.mark.filterwarnings("ignore:Attribute's length:UserWarning")  # cryptography, on purpose

CASES = [
    Case("rsa-1024", lambda t: req(t, newkey=["-newkey", "rsa:1024"]), [("error", "weak-key")], "1024 bits"),
    Case("rsa-exponent-3", small_exponent, [("error", "weak-key")], "exponent 3 is too small"),
    Case("ec-secp256k1", lambda t: req(t, newkey=["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"]),
         [("error", "weak-key")], "secp256k1"),
    Case("ed25519", lambda t: req(t, newkey=OPENSSL_NEWKEY["ed25519"]), [("warning", "weak-key")], "Ed25519"),
    Case("rsa-sha1", lambda t: req(t, "-sha1", newkey=RSA), [("error", "weak-signature-hash")], "SHA-1"),
    Case("rsa-md5", lambda t: req(t, "-md5", newkey=RSA), [("error", "weak-signature-hash")], "MD5"),
    Case("ecdsa-sha1", lambda t: req(t, "-sha1"), [("error", "weak-signature-hash")], "SHA-1"),
    Case("bad-signature-rsa", flipped_signature(RSA), [("error", "bad-signature")], "does not verify"),
    Case("bad-signature-ec", flipped_signature(EC), [("error", "bad-signature")], "does not verify"),
    Case("no-san", lambda t: req(t, san=None), [("error", "missing-san")], "no subjectAltName extension"),
    Case("email-only-san", lambda t: req(t, san="subjectAltName=email:a@example.com"),
         [("error", "missing-san"), ("error", "email-in-san")], "no DNS name or IP address"),
    Case("cn-not-in-san", lambda t: req(t, san="subjectAltName=DNS:api.example.com"),
         [("warning", "cn-not-in-san")], "'www.example.com' is not among the DNS SANs"),
    Case("country-uk", lambda t: req(t, subj=f"/C=UK/CN={CN}"), [("error", "bad-country")], "GB"),
    Case("country-lower-case", lambda t: req(t, subj=f"/C=us/CN={CN}"), [("error", "bad-country")], "upper case: US"),
    pytest.param(Case("cn-65-chars", long_cn, [("error", "cn-too-long")], "65 characters"), marks=LONG_CN_WARNING),
    Case("underscore-san", lambda t: req(t, san=f"{SAN},DNS:my_host.example.com"), [("error", "bad-dns-name")],
         "underscore"),
    Case("single-label", lambda t: req(t, subj="/CN=intranet", san="subjectAltName=DNS:intranet"),
         [("error", "bad-dns-name"), ("error", "bad-dns-name")], "single label"),
    Case("wildcard-over-com", lambda t: req(t, san=f"{SAN},DNS:*.com"), [("error", "bad-wildcard")], "public suffix"),
    Case("wildcard-over-co-uk", lambda t: req(t, san=f"{SAN},DNS:*.co.uk"), [("error", "bad-wildcard")],
         "'co.uk' is a public suffix"),
    Case("wildcard-partial-label", lambda t: req(t, san=f"{SAN},DNS:w*.example.com"), [("error", "bad-wildcard")],
         "whole left-most label"),
    Case("wildcard-not-left-most", lambda t: req(t, san=f"{SAN},DNS:www.*.example.com"), [("error", "bad-wildcard")],
         "whole left-most label"),
    Case("wildcard-cn", lambda t: req(t, subj="/CN=*.com", san="subjectAltName=DNS:*.com"),
         [("error", "bad-wildcard"), ("error", "bad-wildcard")], "common name '*.com'"),
    Case("ip-in-cn", lambda t: req(t, subj="/CN=203.0.113.7", san="subjectAltName=IP:203.0.113.7"),
         [("warning", "ip-in-cn")], "'203.0.113.7' is an IP address"),
    Case("ip-cn-not-in-ip-sans", lambda t: req(t, subj="/CN=203.0.113.7"),
         [("warning", "ip-in-cn"), ("warning", "cn-not-in-san")], "not among the IP SANs"),
    Case("ou", lambda t: req(t, subj=f"/O=Acme/OU=IT/CN={CN}"), [("warning", "ou-deprecated")], "OU=IT"),
    Case("email-san", lambda t: req(t, san=f"{SAN},email:a@example.com"), [("error", "email-in-san")],
         "a@example.com"),
    Case("uri-san", lambda t: req(t, san=f"{SAN},URI:https://www.example.com/"), [("error", "uri-in-san")],
         "https://www.example.com/"),
    Case("challenge-password", challenge_password, [("warning", "challenge-password")], "10 characters"),
    Case("empty-subject-with-san", lambda t: req(t, subj="/"), [("info", "empty-subject")], "subjectAltName only"),
    Case("empty-subject-ip-san", lambda t: req(t, subj="/", san="subjectAltName=IP:203.0.113.7"),
         [("info", "empty-subject")], "subjectAltName only"),
    Case("empty-subject-no-san", lambda t: req(t, subj="/", san=None),
         [("error", "missing-san"), ("error", "empty-subject")], "names no host"),
]


def _case_id(case) -> str:
    return case.values[0].id if hasattr(case, "values") else case.id


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Each case's CSR path, made once for the module (two tests read every case)."""
    cache: dict[str, Path] = {}

    def get(case: Case) -> Path:
        if case.id not in cache:
            cache[case.id] = case.make(tmp_path_factory.mktemp(case.id))
        return cache[case.id]
    return get


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_rule_gives_exactly_its_findings(made, case):
    """Each rule's CSR gives exactly the expected (severity, code) findings, with a message naming the problem."""
    found = cl.lint(made(case))
    assert [(f.severity, f.code) for f in found] == case.expected
    assert case.fragment in " | ".join(f.message for f in found)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_every_finding_explains_why_and_fix(made, case):
    """Every finding carries a non-empty why and fix, distinct from its message, and serialises to the --json keys."""
    found = cl.lint(made(case))
    assert found
    for f in found:
        assert f.severity in SEVERITIES
        assert f.why.strip() and f.fix.strip() and f.why != f.fix and f.message not in (f.why, f.fix)
        assert f.to_dict() == {"code": f.code, "severity": f.severity, "message": f.message, "why": f.why, "fix": f.fix}


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_good_modern_csr_has_no_findings(tmp_path, kind):
    """An openssl CSR with RSA 2048 or EC P-256, SHA-256, C/O/CN and the CN as SAN gives no findings."""
    files = openssl_key_csr_cert(tmp_path, kind)
    found = cl.lint(files["csr"])
    assert isinstance(found, cl.Findings) and list(found) == [] and found.ok


@pytest.mark.parametrize("newkey,subj,san", [
    (EC, "/CN=*.example.com", "subjectAltName=DNS:*.example.com"),
    (EC, "/CN=www.example.co.uk", "subjectAltName=DNS:www.example.co.uk,DNS:*.example.co.uk"),
    (EC, "/CN=WWW.Example.COM", SAN),
    (EC, f"/C=XX/CN={CN}", SAN),
    (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], f"/CN={CN}", SAN),
    (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-521"], f"/CN={CN}", SAN),
    (EC, f"/CN={CN}", f"{SAN},DNS:xn--bcher-kva.example.com,IP:203.0.113.7"),
], ids=["wildcard", "wildcard-under-co-uk", "cn-case-differs", "country-XX", "p384", "p521", "punycode-and-ip"])
def test_acceptable_variants_have_no_findings(tmp_path, newkey, subj, san):
    """Near misses that public CAs accept (a proper wildcard, CN in other case, XX, P-384/P-521, punycode) pass."""
    found = cl.lint(req(tmp_path, newkey=newkey, subj=subj, san=san))
    assert found.codes == []


def mixed(tmp: Path) -> Path:
    """Ed25519 (warning), an email SAN (error), an empty subject with SANs (info): rule order is warning, error, info."""
    return req(tmp, newkey=OPENSSL_NEWKEY["ed25519"], subj="/", san=f"{SAN},email:a@example.com")


def test_findings_sorted_errors_then_warnings_then_info(tmp_path):
    """Findings come errors first, then warnings, then info, whatever order the rules ran in."""
    found = cl.lint(mixed(tmp_path))
    assert [(f.severity, f.code) for f in found] == [
        ("error", "email-in-san"), ("warning", "weak-key"), ("info", "empty-subject")]


def test_findings_properties(tmp_path):
    """Findings.errors, .warnings, .codes, .ok and .to_dict() reflect the findings by severity."""
    found = cl.lint(mixed(tmp_path))
    assert [f.code for f in found.errors] == ["email-in-san"]
    assert [f.code for f in found.warnings] == ["weak-key"]
    assert found.codes == ["email-in-san", "weak-key", "empty-subject"]
    assert found.ok is False
    assert found.to_dict() == {"findings": [f.to_dict() for f in found]}
    assert found.source == str(tmp_path / "case.csr")


def test_warnings_and_info_alone_are_ok(tmp_path):
    """A CSR with only warning and info findings (Ed25519, empty subject) is ok: nothing a CA must reject."""
    found = cl.lint(req(tmp_path, newkey=OPENSSL_NEWKEY["ed25519"], subj="/"))
    assert found.codes == ["weak-key", "empty-subject"] and found.errors == [] and found.ok is True


def test_ed25519_warning_suggests_a_public_ca_key(tmp_path):
    """Ed25519 is a weak-key warning only, whose fix points to ECDSA P-256 or RSA 2048 for a public CA."""
    (f,) = cl.lint(req(tmp_path, newkey=OPENSSL_NEWKEY["ed25519"]))
    assert (f.severity, f.code) == ("warning", "weak-key")
    assert "private CA" in f.message and "--key-type ec" in f.fix


@pytest.mark.parametrize("newkey,digest", [(RSA, "-sha1"), (RSA, "-md5"), (EC, "-sha1")],
                         ids=["rsa-sha1", "rsa-md5", "ecdsa-sha1"])
def test_signature_valid_accepts_weak_hashes(tmp_path, newkey, digest):
    """signature_valid is True for an MD5 or SHA-1 CSR that `openssl req -verify` accepts."""
    csr = req(tmp_path, digest, newkey=newkey)
    check = run_openssl("req", "-in", str(csr), "-noout", "-verify")
    assert b"verify OK" in check.stdout + check.stderr
    assert signature_valid(cl.load_one(csr).obj) is True


def test_even_rsa_exponent_object_is_weak_key(tmp_path):
    """A CSR object whose RSA exponent is even gets a weak-key error (the hand-edited signature is bad too)."""
    csr = x509.load_der_x509_csr(even_exponent(tmp_path).read_bytes())
    found = cl.lint(csr)
    assert ("error", "weak-key") in [(f.severity, f.code) for f in found]
    assert not found.ok


def test_even_rsa_exponent_file_is_refused_with_advice(tmp_path):
    """A CSR file whose RSA exponent is even cannot be loaded: the error says the key was never valid, not just 'copy it'."""
    with pytest.raises(cl.InputError, match="public key is unusable.*never valid: make a new key"):
        cl.lint(even_exponent(tmp_path))


def test_challenge_password_value_never_shown(tmp_path):
    """The challenge-password finding gives the attribute's length, never the password itself."""
    found = cl.lint(challenge_password(tmp_path))
    assert found.codes == ["challenge-password"]
    assert "s3cretpass" not in str(found) + json.dumps(found.to_dict())


@pytest.mark.parametrize("as_object", [True, False], ids=["object", "file"])
def test_lint_of_certificate_is_input_error(tmp_path, as_object):
    """Linting a certificate (object or file) raises InputError saying that lint checks CSRs."""
    crt = openssl_key_csr_cert(tmp_path, "ec")["crt"]
    arg = x509.load_pem_x509_certificate(crt.read_bytes()) if as_object else crt
    with pytest.raises(cl.InputError, match="lint checks CSRs"):
        cl.lint(arg)


# ------------------------------------------------------------------------------------------ the CLI

@pytest.mark.parametrize("subj", [f"/C=US/O=Acme/CN={CN}", f"/O=Acme/OU=IT/CN={CN}"], ids=["clean", "warning-only"])
def test_cli_exit_0_without_errors(tmp_path, capsys, subj):
    """`csrlearn lint` exits 0 when no finding is an error (a clean CSR, or only an OU warning)."""
    csr = req(tmp_path, subj=subj)
    code, out, err = run(capsys, "lint", str(csr))
    assert (code, err) == (0, "")
    assert out.startswith(f"{csr}:\n")
    assert ("ou-deprecated" in out) == ("OU=" in subj)


def test_cli_exit_1_on_error_finding(tmp_path, capsys):
    """`csrlearn lint` exits 1 on an error finding and prints what, why and how to fix it."""
    csr = req(tmp_path, newkey=["-newkey", "rsa:1024"])
    code, out, err = run(capsys, "lint", str(csr))
    assert code == 1 and err == ""
    assert "ERROR   weak-key: RSA key of 1024 bits" in out and "why: " in out and "fix: " in out


def test_cli_json_shape(tmp_path, capsys):
    """`lint --json` over two files prints all findings and one summary per file, and exits 1 if any has an error."""
    good = openssl_key_csr_cert(tmp_path, "ec")["csr"]
    bad = req(tmp_path, subj=f"/C=UK/OU=IT/CN={CN}")
    code, out, err = run(capsys, "lint", "--json", str(good), str(bad))
    assert code == 1 and err == ""
    data = json.loads(out)
    assert set(data) == {"findings", "files"}
    assert [(f["severity"], f["code"]) for f in data["findings"]] == [("error", "bad-country"), ("warning", "ou-deprecated")]
    for f in data["findings"]:
        assert set(f) == {"code", "severity", "message", "why", "fix"} and all(f.values())
    assert data["files"] == [
        {"file": str(good), "codes": [], "errors": 0, "warnings": 0},
        {"file": str(bad), "codes": ["bad-country", "ou-deprecated"], "errors": 1, "warnings": 1},
    ]


@pytest.mark.parametrize("part", ["crt", "key", "missing"])
def test_cli_non_csr_exits_2_one_line(tmp_path, capsys, part):
    """`csrlearn lint` of a certificate, a key or a missing file exits 2 with one `csrlearn: ` line naming the file."""
    files = openssl_key_csr_cert(tmp_path, "ec")
    path = tmp_path / "nothere.csr" if part == "missing" else files[part]
    code, out, err = run(capsys, "lint", str(path))
    assert code == 2 and out == ""
    assert err.startswith("csrlearn: ") and err.count("\n") == 1 and str(path) in err
    if part != "missing":
        assert "holds no CSR" in err


def test_text_report_ends_with_the_counts(tmp_path):
    """The terminal report closes with the count of each severity found, and says so when nothing was found."""
    from csrlearn.course import SAMPLES_DIR
    legacy = cl.lint(SAMPLES_DIR / "sample-legacy.csr")
    assert str(legacy).splitlines()[-1] == "3 errors, 2 warnings" == legacy.summary()
    clean = cl.lint(req(tmp_path))
    assert str(clean).splitlines()[-1] == "no findings: a public CA should accept this CSR" and clean.summary() == ""
