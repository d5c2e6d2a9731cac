"""The notebook widgets without a browser: set values, click buttons, read what each widget shows.

In plain pytest ``button.click()`` fires the ``on_click`` handlers and setting ``.value`` fires the
observers (see NOTES.md), and every widget writes its results and errors into HTML areas, so what a
learner would see is the ``.value`` of those areas. The real openssl is the referee for the files.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

import csrlearn
from csrlearn.widgets import CsrBuilder, CsrInspector, Matcher, MismatchPlayground

from conftest import KEY_TYPES, openssl_key_csr_cert, run_openssl


def _html_values(widget) -> str:
    """Everything a widget tree displays: the values of all its descendants, concatenated."""
    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        value = getattr(w, "value", None)
        if isinstance(value, str):
            out.append(value)
        stack.extend(getattr(w, "children", ()))
    return "\n".join(out)


def _text(html: str) -> str:
    """The visible text of an HTML fragment (style blocks and tags removed)."""
    import html as _html
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))
    return re.sub(r"\s+", " ", _html.unescape(text))


def _upload_value(name: str, data: bytes) -> tuple[dict, ...]:
    """What an ipywidgets 8 FileUpload holds after a browser upload."""
    return ({"name": name, "type": "application/octet-stream", "size": len(data), "content": memoryview(data),
             "last_modified": _dt.datetime.now(_dt.timezone.utc)},)


def test_import_csrlearn_loads_no_ipywidgets():
    """`import csrlearn`, the library and the command line never import ipywidgets, IPython or Jupyter."""
    heavy = ("ipywidgets", "IPython", "ipykernel", "jupyter_core", "jupyter_client", "jupyterlab", "notebook",
             "nbformat", "traitlets")
    code = ("import sys, csrlearn; k = csrlearn.generate_key('ec'); csrlearn.describe(k); csrlearn.match([k]); "
            "csrlearn.lint(csrlearn.build_csr(k, None, ['a.example.com'])); csrlearn.byte_map(k); "
            "from csrlearn import cli; cli.build_parser(); "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------------------------------- builder

@pytest.mark.parametrize("kind", KEY_TYPES)
def test_builder_generates_a_csr_openssl_verifies(kind, tmp_path):
    """Generate makes a CSR of the chosen key type that openssl verifies, and shows its PEM."""
    b = CsrBuilder()
    b.key_type.value = kind
    b.generate.click()
    assert b.last_error is None, b.status.value
    assert "-----BEGIN CERTIFICATE REQUEST-----" in b.pem.value
    path = tmp_path / "req.csr"
    path.write_text(b.csr_pem)
    proc = run_openssl("req", "-in", str(path), "-noout", "-verify", "-text")
    assert "verify OK" in (proc.stdout + proc.stderr).decode()
    algo = {"rsa": "rsaEncryption", "ec": "id-ecPublicKey", "ed25519": "ED25519"}[kind]
    assert algo in proc.stdout.decode()


def test_builder_size_and_curve_follow_the_key_type():
    """RSA shows the size choice, EC the curve choice, Ed25519 neither."""
    b = CsrBuilder()
    shown = lambda: (b.bits.layout.display != "none", b.curve.layout.display != "none")  # noqa: E731
    assert shown() == (True, False)
    b.key_type.value = "ec"
    assert shown() == (False, True)
    b.key_type.value = "ed25519"
    assert shown() == (False, False)


@pytest.mark.parametrize("bits", [2048, 3072])
def test_builder_rsa_size_is_used(bits):
    """The chosen RSA size is the size of the generated key."""
    b = CsrBuilder()
    b.bits.value = bits
    b.generate.click()
    assert b.key.key_size == bits
    assert f"RSA {bits}" in _text(b.summary.value)


def test_builder_curve_is_used(tmp_path):
    """The chosen curve is the curve openssl reads from the CSR."""
    b = CsrBuilder(key_type="ec")
    b.curve.value = "P-384"
    b.generate.click()
    path = tmp_path / "r.csr"
    path.write_text(b.csr_pem)
    assert "NIST CURVE: P-384" in run_openssl("req", "-in", str(path), "-noout", "-text").stdout.decode()


def test_builder_subject_and_sans_reach_the_csr(tmp_path):
    """Subject fields and SANs (one a line) end up in the CSR exactly as openssl prints them."""
    b = CsrBuilder(common_name="shop.example.org", sans=())
    b.organization.value = "Acme Ltd"
    b.country.value = "de"
    b.sans.value = "shop.example.org\nwww.shop.example.org\n\n203.0.113.7\n"
    b.generate.click()
    assert b.last_error is None, b.status.value
    path = tmp_path / "r.csr"
    path.write_text(b.csr_pem)
    text = run_openssl("req", "-in", str(path), "-noout", "-text").stdout.decode()
    assert re.search(r"Subject: C ?= ?DE, O ?= ?Acme Ltd, CN ?= ?shop.example.org", text), text
    assert "DNS:shop.example.org, DNS:www.shop.example.org, IP Address:203.0.113.7" in text
    summary = _text(b.summary.value)
    assert "CN=shop.example.org,O=Acme Ltd,C=DE" in summary and "IP:203.0.113.7" in summary


def test_builder_puts_the_cn_in_the_sans_unless_told_not_to():
    """With the checkbox the CN becomes the first SAN; without it only the typed SANs are used."""
    b = CsrBuilder(common_name="a.example.com", sans=["b.example.com"])
    b.generate.click()
    assert "DNS:a.example.com, DNS:b.example.com" in _text(b.summary.value)
    b.cn_as_san.value = False
    b.generate.click()
    assert "SANs DNS:b.example.com " in _text(b.summary.value)


def test_builder_shows_a_bad_country_inside_the_widget():
    """A three-letter country is refused with the library's message, shown in the widget; no CSR is kept."""
    b = CsrBuilder()
    b.generate.click()
    b.country.value = "USA"
    b.generate.click()
    assert isinstance(b.last_error, csrlearn.ValidationError)
    assert "two-letter ISO 3166 code" in _text(b.status.value)
    assert b.csr is None and "BEGIN CERTIFICATE REQUEST" not in b.pem.value


def test_builder_shows_a_bad_san_inside_the_widget():
    """A SAN that is no DNS name, IP or email is refused in the widget, before any key is made."""
    b = CsrBuilder(sans=["not a name"])
    b.generate.click()
    assert "is not a DNS name" in _text(b.status.value)
    assert b.key is None


def test_builder_never_displays_the_private_key():
    """No widget area ever shows private-key PEM or the passphrase."""
    b = CsrBuilder()
    b.passphrase.value = "correct horse battery"
    b.generate.click()
    shown = _html_values(b)
    assert "PRIVATE KEY" not in shown
    assert shown.count("correct horse battery") == 1  # only the password box's own value


def test_builder_saves_key_0600_and_csr_that_openssl_pairs(tmp_path):
    """Save writes NAME.key (0600) and NAME.csr; openssl sees the same public key in both."""
    b = CsrBuilder(common_name="www.example.com", directory=tmp_path)
    b.generate.click()
    b.save_button.click()
    assert b.last_error is None, b.save_status.value
    key, csr = tmp_path / "www.example.com.key", tmp_path / "www.example.com.csr"
    assert (os.stat(key).st_mode & 0o777) == 0o600
    assert "saved" in _text(b.save_status.value) and "0600" in _text(b.save_status.value)
    pub_key = run_openssl("pkey", "-in", str(key), "-pubout").stdout
    pub_csr = run_openssl("req", "-in", str(csr), "-noout", "-pubkey").stdout
    assert pub_key == pub_csr


def test_builder_refuses_to_overwrite_and_says_so(tmp_path):
    """A second save to the same name is refused inside the widget and leaves both files untouched."""
    b = CsrBuilder(directory=tmp_path)
    b.name.value = "site"
    b.generate.click()
    b.save_button.click()
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    b.generate.click()
    b.save_button.click()
    assert isinstance(b.last_error, csrlearn.WouldOverwriteError)
    assert "already exists" in _text(b.save_status.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_builder_refuses_a_half_pair(tmp_path):
    """If only the CSR name is taken, the key is not written either (never half a pair)."""
    (tmp_path / "site.csr").write_text("someone else's")
    b = CsrBuilder(directory=tmp_path)
    b.name.value = "site"
    b.generate.click()
    b.save_button.click()
    assert "already exists" in _text(b.save_status.value)
    assert not (tmp_path / "site.key").exists()


def test_builder_encrypts_the_saved_key_with_the_passphrase(tmp_path, openssl):
    """With a passphrase the key file is encrypted: openssl opens it only with that passphrase."""
    b = CsrBuilder(key_type="ec", directory=tmp_path)
    b.passphrase.value = "s3cret-pass"
    b.generate.click()
    b.save_button.click()
    key = tmp_path / "www.example.com.key"
    assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert openssl("pkey", "-in", str(key), "-passin", "pass:wrong", "-noout", check=False).returncode != 0
    openssl("pkey", "-in", str(key), "-passin", "pass:s3cret-pass", "-noout")
    assert "encrypted with your passphrase" in _text(b.save_status.value)


def test_builder_save_before_generate_is_an_error_in_the_widget(tmp_path):
    """Save before Generate says what to do, in the widget."""
    b = CsrBuilder(directory=tmp_path)
    b.save_button.click()
    assert "press Generate first" in _text(b.save_status.value)
    assert list(tmp_path.iterdir()) == []


def test_builder_save_into_a_missing_directory_says_so(tmp_path):
    """A directory that does not exist is named in the error."""
    b = CsrBuilder(directory=tmp_path / "nope")
    b.generate.click()
    b.save_button.click()
    assert "nope: no such directory" in _text(b.save_status.value)


def test_builder_shows_an_unexpected_error_with_its_traceback(monkeypatch):
    """A bug (not a CsrLearnError) is shown in the widget with its type and traceback, not lost in a log."""
    def broken(*a, **k):
        raise RuntimeError("boom in describe")
    monkeypatch.setattr(csrlearn, "describe", broken)
    b = CsrBuilder(key_type="ec")
    b.generate.click()
    shown = b.status.value
    assert "Unexpected error (RuntimeError)" in shown and "boom in describe" in shown and "Traceback" in shown


# ----------------------------------------------------------------------------------------- inspector

def _csr_pem(kind: str = "ec", cn: str = "www.example.com") -> str:
    key = csrlearn.generate_key(kind)
    return csrlearn.build_csr(key, csrlearn.Subject(common_name=cn), [cn]).public_bytes(Encoding.PEM).decode()


def test_inspector_decodes_pasted_pem():
    """Pasted CSR PEM is decoded into a table with subject, SANs, key and signature status."""
    i = CsrInspector()
    i.text.value = _csr_pem(cn="pasted.example.com")
    i.decode.click()
    assert i.last_error is None, i.status.value
    table = _text(i.table.value)
    assert "CN=pasted.example.com" in table and "DNS:pasted.example.com" in table
    assert "EC P-256" in table and "valid" in table


def test_inspector_decodes_an_uploaded_der_file(tmp_path):
    """An uploaded DER CSR made by openssl decodes to openssl's subject, under the file's name."""
    files = openssl_key_csr_cert(tmp_path, "rsa", cn="upload.example.com")
    der = run_openssl("req", "-in", str(files["csr"]), "-outform", "DER").stdout
    i = CsrInspector()
    i.upload.value = _upload_value("site.der", der)
    assert i.last_error is None, i.status.value
    table = _text(i.table.value)
    assert "site.der" in table and "CN=upload.example.com,O=Acme,C=US" in table and "RSA 2048" in table


def test_inspector_shows_every_item_of_a_chain():
    """A full-chain file shows one table per certificate."""
    ca = csrlearn.TrainingCA()
    key = csrlearn.generate_key("ec")
    cert = ca.issue(csrlearn.build_csr(key, csrlearn.Subject(common_name="c.example.com"), ["c.example.com"]))
    i = CsrInspector()
    i.text.value = ca.fullchain(cert).decode()
    i.decode.click()
    assert len(i.items) == 2
    table = _text(i.table.value)
    assert "CN=c.example.com" in table and "Intermediate CA" in table


def test_inspector_pasted_text_is_never_a_path(tmp_path):
    """Pasted text is content: a pasted server path is an error in the widget, the file is never opened."""
    f = openssl_key_csr_cert(tmp_path, "ec")
    i = CsrInspector()
    i.text.value = str(f["csr"])
    i.decode.click()
    assert isinstance(i.last_error, csrlearn.CsrLearnError)
    assert i.items == [] and i.table.value == ""
    assert "Error" in _text(i.status.value)


def test_inspector_empty_input_says_what_to_do():
    """Decode with nothing pasted asks for a PEM block."""
    i = CsrInspector()
    i.decode.click()
    assert "paste a PEM block or upload a file" in _text(i.status.value)


def test_inspector_encrypted_key_needs_the_passphrase():
    """An encrypted key is refused without its passphrase and described (no secret shown) with it."""
    from csrlearn.files import key_pem
    pem = key_pem(csrlearn.generate_key("ec"), passphrase="pw123").decode()
    i = CsrInspector(pem)
    i.decode.click()
    assert isinstance(i.last_error, csrlearn.PassphraseError)
    assert "passphrase" in _text(i.status.value)
    i.passphrase.value = "pw123"
    i.decode.click()
    assert i.last_error is None
    assert "EC P-256" in _text(i.table.value) and "PRIVATE KEY" not in _html_values(i).replace(pem, "")


# ------------------------------------------------------------------------------------------- matcher

@pytest.mark.parametrize("kind", KEY_TYPES)
def test_matcher_matches_an_openssl_trio(kind, tmp_path):
    """Key, CSR and certificate made by openssl: verdict MATCH."""
    f = openssl_key_csr_cert(tmp_path, kind)
    m = Matcher([f["key"], f["csr"], f["crt"]])
    assert m.last_error is None, m.status.value
    assert _text(m.verdict.value).strip().startswith("MATCH:")
    assert m.report.verdict == "match"


def test_matcher_mismatch_shows_verdict_matrix_and_explanation(tmp_path):
    """A key with another key's certificate: MISMATCH, two colour columns, and the explanation."""
    a = openssl_key_csr_cert(tmp_path, "rsa", name="a")
    b = openssl_key_csr_cert(tmp_path, "rsa", name="b")
    m = Matcher([a["key"], b["crt"]])
    assert _text(m.verdict.value).strip().startswith("MISMATCH")
    assert m.matrix.value.count("<th style='background:") == 2
    assert "the certificate was issued for another key" in _text(m.matrix.value)


def test_matcher_shows_rsa_moduli_as_openssl_prints_them(tmp_path, openssl):
    """The moduli side by side are exactly openssl's -modulus hex, each with its md5, said to differ."""
    a = openssl_key_csr_cert(tmp_path, "rsa", name="a")
    b = openssl_key_csr_cert(tmp_path, "rsa", name="b")
    m = Matcher([a["key"], b["crt"]])
    shown = _text(m.moduli.value).replace(" ", "")
    for path, cmd in ((a["key"], "rsa"), (b["crt"], "x509")):
        line = openssl(cmd, "-in", str(path), "-noout", "-modulus").stdout.decode().strip()
        assert line.startswith("Modulus=") and line[len("Modulus="):] in shown
    assert "2differentmoduli" in shown


def test_matcher_moduli_agree_for_a_matching_pair(tmp_path):
    """For a key and its own CSR the moduli view shows one modulus shared by both."""
    f = openssl_key_csr_cert(tmp_path, "rsa")
    m = Matcher([f["key"], f["csr"]])
    shown = _text(m.moduli.value)
    assert "one modulus: every RSA item here is the same key pair" in shown and "different moduli" not in shown
    assert m.moduli.value.count("<th>Modulus=</th>") == 1 and f["key"].name in shown and f["csr"].name in shown


def test_matcher_has_no_moduli_for_ec(tmp_path):
    """EC keys have no modulus: the moduli area stays empty, the verdict still works."""
    f = openssl_key_csr_cert(tmp_path, "ec")
    m = Matcher([f["key"], f["crt"]])
    assert m.moduli.value == "" and m.report.verdict == "match"


def test_matcher_add_path_button(tmp_path):
    """Typing a path and clicking Add path adds it; the box empties; a second file updates the verdict."""
    a = openssl_key_csr_cert(tmp_path, "ec", name="a")
    b = openssl_key_csr_cert(tmp_path, "ec", name="b")
    m = Matcher()
    assert "add two or more files" in _text(m.verdict.value)
    m.path.value = str(a["key"])
    m.add_path.click()
    assert m.path.value == "" and m.report.verdict == "match"
    m.path.value = str(b["crt"])
    m.add_path.click()
    assert _text(m.verdict.value).strip().startswith("MISMATCH")


def test_matcher_walks_a_directory(tmp_path):
    """A directory path is walked: its key, CSR and certificate are all compared."""
    openssl_key_csr_cert(tmp_path, "ec")
    (tmp_path / "README.txt").write_text("not a key")
    m = Matcher([tmp_path])
    assert m.report.verdict == "match" and len(m.report.entries) == 3
    assert "skipped" in _text(m.matrix.value)


def test_matcher_paste_and_upload(tmp_path):
    """Pasted PEM and uploaded bytes are compared under the names given."""
    f = openssl_key_csr_cert(tmp_path, "ec")
    m = Matcher()
    m.paste.value = f["csr"].read_text()
    m.paste_name.value = "request.csr"
    m.add_paste.click()
    assert m.paste.value == "" and "request.csr" in _text(m.files.value)
    m.upload.value = _upload_value("server.crt", f["crt"].read_bytes())
    assert m.report.verdict == "match"
    assert "server.crt" in _text(m.matrix.value) and "request.csr" in _text(m.matrix.value)


def test_matcher_missing_file_is_an_error_verdict(tmp_path):
    """A path that does not exist gives verdict ERROR naming the file."""
    m = Matcher([tmp_path / "missing.crt"])
    text = _text(m.verdict.value)
    assert text.strip().startswith("ERROR") and "missing.crt: no such file" in text


def test_matcher_pasted_text_is_never_a_path(tmp_path):
    """Pasted text without a PEM block is read as content (an error), never opened as a server path."""
    f = openssl_key_csr_cert(tmp_path, "ec")
    m = Matcher()
    m.paste.value = str(f["key"])
    m.add_paste.click()
    assert m.report.verdict == "error" and m.report.entries == []


def test_matcher_empty_path_is_an_error_in_the_widget():
    """Clicking Add path with an empty box says what to type."""
    m = Matcher()
    m.add_path.click()
    assert "type the path" in _text(m.status.value)


def test_matcher_passphrase_opens_an_encrypted_key(tmp_path):
    """An encrypted key is an ERROR until its passphrase is typed, then MATCH."""
    key = csrlearn.generate_key("ec")
    csrlearn.save_key(key, tmp_path / "k.key", passphrase="pw")
    csrlearn.save(csrlearn.build_csr(key, "/CN=x.example.com", ["x.example.com"]), tmp_path / "k.csr")
    m = Matcher([tmp_path / "k.key", tmp_path / "k.csr"])
    assert m.report.verdict == "error" and "passphrase" in _text(m.verdict.value)
    m.passphrase.value = "pw"
    assert m.report.verdict == "match"


def test_matcher_clear_forgets_everything(tmp_path):
    """Clear empties the list, the matrix and the verdict."""
    f = openssl_key_csr_cert(tmp_path, "rsa")
    m = Matcher([f["key"], f["crt"]])
    m.clear.click()
    assert m.sources == {} and m.report is None and m.matrix.value == "" and m.moduli.value == ""
    assert "add two or more files" in _text(m.verdict.value)


# ---------------------------------------------------------------------------------------- playground

def test_playground_starts_matching():
    """The untouched trio matches: key, CSR and the full chain's leaf share one key."""
    p = MismatchPlayground()
    assert _text(p.verdict.value).strip().startswith("MATCH:")
    assert [e.kind for e in p.report.entries] == ["private_key", "csr", "certificate"]


def test_playground_renew_with_a_new_key():
    """'renew with a new key': MISMATCH, and the explanation suggests the renewal."""
    p = MismatchPlayground()
    p.renew.value = True
    assert p.report.verdict == "mismatch"
    assert "renewed with a new key" in _text(p.verdict.value)


def test_playground_ec_certificate():
    """'swap in an EC certificate': MISMATCH naming both key types."""
    p = MismatchPlayground()
    p.ec_cert.value = True
    text = _text(p.verdict.value)
    assert text.strip().startswith("MISMATCH") and "RSA 2048" in text and "EC P-256" in text


def test_playground_wrong_chain_order():
    """'chain file in the wrong order': the explanation says to put the server certificate first."""
    p = MismatchPlayground()
    p.wrong_order.value = True
    assert "the chain is in the wrong order" in _text(p.verdict.value)
    assert "fullchain.pem" in _text(p.files.value)
    first = csrlearn.load(p.files_on_server()["fullchain.pem"])[0]
    assert "Intermediate CA" in first.obj.subject.rfc4514_string()


def test_playground_toggling_back_restores_the_match():
    """Switching a toggle off again brings back MATCH."""
    p = MismatchPlayground()
    p.renew.value = True
    p.renew.value = False
    assert p.report.verdict == "match"


def test_playground_files_are_real_pem_openssl_reads(tmp_path, openssl):
    """The files the playground compares are real PEM: openssl reads each of them."""
    p = MismatchPlayground()
    for name, data in p.files_on_server().items():
        path = tmp_path / name
        path.write_bytes(data)
        cmd = {"server.key": "pkey", "server.csr": "req", "fullchain.pem": "x509"}[name]
        openssl(cmd, "-in", str(path), "-noout")


# ------------------------------------------------------------------------------ lint, recipe, byte map

def test_builder_lint_tab_lists_the_findings():
    """A CN missing from the SANs shows the cn-not-in-san finding with its why and fix."""
    b = CsrBuilder(common_name="www.example.com", sans=["other.example.com"])
    b.cn_as_san.value = False
    b.generate.click()
    expected = csrlearn.lint(b.csr)
    assert "cn-not-in-san" in expected.codes
    shown = _text(b.lint.value)
    for f in expected:
        assert f.code in shown and _text(f.why).strip() in shown


def test_builder_lint_tab_is_clean_for_a_good_request():
    """The default request lints clean, and the tab says so."""
    b = CsrBuilder(key_type="ec")
    b.generate.click()
    assert list(csrlearn.lint(b.csr)) == []
    assert "no findings" in _text(b.lint.value)


def test_builder_openssl_recipe_runs_and_makes_the_same_request(tmp_path):
    """The recipe shown in the openssl tab, run by bash, makes a CSR with the same subject and SANs."""
    import html as _html
    b = CsrBuilder(common_name="recipe.example.com", sans=["alt.example.com"], key_type="ec")
    b.organization.value = "Acme"
    b.generate.click()
    script = _html.unescape(re.search(r"<pre class='csrlearn-pem'>(.*?)</pre>", b.recipe.value, re.S).group(1))
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    made = csrlearn.describe(csrlearn.load_one(tmp_path / "recipe.example.com.csr"))
    ours = csrlearn.describe(b.csr)
    assert (made.subject, made.sans, str(made.key)) == (ours.subject, ours.sans, str(ours.key))


def test_inspector_lint_and_byte_map_tabs():
    """A CSR shows its lint findings and its byte map with RFC 2986 field names."""
    key = csrlearn.generate_key("ec")
    csr = csrlearn.build_csr(key, csrlearn.Subject(common_name="x.example.com", organizational_unit="IT"),
                             ["x.example.com"])
    i = CsrInspector(csr.public_bytes(Encoding.PEM).decode())
    assert i.last_error is None, i.status.value
    assert "ou-deprecated" in _text(i.lint.value)
    assert "certificationRequestInfo" in i.byte_map.value and "subjectPKInfo" in i.byte_map.value


def test_inspector_decodes_text_given_to_the_constructor():
    """Text passed to CsrInspector(...) is decoded at once (the notebook opens on a filled example)."""
    i = CsrInspector(_csr_pem(cn="ctor.example.com"))
    assert "CN=ctor.example.com" in _text(i.table.value)


def test_inspector_masks_a_private_key_in_the_byte_map():
    """A pasted private key is described and mapped, but its secret bytes never appear in the widget."""
    from csrlearn.files import key_pem
    key = csrlearn.generate_key("ec")
    i = CsrInspector(key_pem(key).decode())
    assert i.last_error is None, i.status.value
    secret = format(key.private_numbers().private_value, "064X")
    shown = _html_values(i).upper().replace(" ", "")
    assert secret[:16] not in shown and "lint checks CSRs" in _text(i.lint.value)


def test_status_lines_count_the_lint_findings():
    """Builder and inspector status lines say how many lint findings the Lint tab holds."""
    b = CsrBuilder(common_name="www.example.com", sans=["other.example.com"])
    b.cn_as_san.value = False
    b.organizational_unit.value = "IT"
    b.generate.click()
    n = len(csrlearn.lint(b.csr).warnings)
    assert n >= 2 and f"lint: {n} warnings (see the Lint tab)" in _text(b.status.value)
    i = CsrInspector(b.csr_pem)
    assert f"{n} warnings" in _text(i.status.value)
    clean = CsrBuilder(key_type="ec")
    clean.generate.click()
    assert "lint: no findings" in _text(clean.status.value)
    assert "class='csrlearn-warn'" in b.status.value and "class='csrlearn-ok'" in clean.status.value


def test_inspector_upload_of_pem_fills_the_text_box(tmp_path):
    """An uploaded PEM file appears in the text box; an uploaded DER file empties it and is named instead."""
    f = openssl_key_csr_cert(tmp_path, "ec")
    i = CsrInspector("old text")
    i.upload.value = _upload_value("site.csr", f["csr"].read_bytes())
    assert i.text.value == f["csr"].read_text()
    der = run_openssl("req", "-in", str(f["csr"]), "-outform", "DER").stdout
    i.upload.value = _upload_value("site.der", der)
    assert i.text.value == "" and "site.der" in i.text.placeholder
    assert "site.der" in _text(i.table.value)


def test_matcher_clear_empties_the_upload_too(tmp_path):
    """After Clear the upload box is empty, so uploading the same file again counts."""
    f = openssl_key_csr_cert(tmp_path, "ec")
    m = Matcher()
    m.upload.value = _upload_value("site.crt", f["crt"].read_bytes())
    m.clear.click()
    assert m.upload.value == ()
    m.upload.value = _upload_value("site.crt", f["crt"].read_bytes())
    assert m.report is not None and [e.kind for e in m.report.entries] == ["certificate"]
