"""The course helpers: samples, workspace, peek, set-up check, exercise checks and their solutions."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

import csrlearn as cl
from csrlearn import course
from csrlearn.csr import signature_valid

from conftest import run_openssl

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty temporary folder and restore the working directory afterwards."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_samples_are_shipped_inside_the_package():
    """The sample files live in csrlearn/samples, which setuptools ships as package data."""
    assert course.samples().parent == Path(cl.__file__).resolve().parent
    assert "sample-rsa.key" in course.sample_names() and "sample-fullchain.pem" in course.sample_names()


def test_unknown_sample_is_a_clear_error():
    """Asking for a sample that does not exist lists the ones that do."""
    with pytest.raises(cl.CsrLearnError, match="sample-rsa.csr"):
        course.samples("sample-nope.pem")


@pytest.mark.parametrize("trio", [("sample-rsa.key", "sample-rsa.csr", "sample-rsa.crt"),
                                  ("sample-ec.key", "sample-ec.csr", "sample-ec.crt"),
                                  ("sample-ec2.key", "sample-ec2.csr", "sample-ec2.crt"),
                                  ("sample-rsa-new.key", "sample-rsa-new.csr", "sample-rsa-renewed.crt")])
def test_sample_trios_share_one_public_key_per_openssl(trio):
    """openssl itself finds the same public key in each sample key, CSR and certificate."""
    key, csr, crt = (str(course.samples(n)) for n in trio)
    pubs = {run_openssl("pkey", "-in", key, "-pubout").stdout,
            run_openssl("req", "-in", csr, "-noout", "-pubkey").stdout,
            run_openssl("x509", "-in", crt, "-noout", "-pubkey").stdout}
    assert len(pubs) == 1


def test_sample_certificates_chain_to_the_sample_root_per_openssl():
    """openssl verify accepts every sample leaf with the sample intermediate and root."""
    root, inter = str(course.samples("sample-ca-root.crt")), str(course.samples("sample-ca-intermediate.crt"))
    for leaf in ("sample-rsa.crt", "sample-rsa-renewed.crt", "sample-ec.crt", "sample-ec2.crt"):
        out = run_openssl("verify", "-CAfile", root, "-untrusted", inter, str(course.samples(leaf)))
        assert out.stdout.decode().strip().endswith(": OK")


def test_the_same_key_in_three_formats_is_one_key():
    """PKCS#8 PEM, PKCS#1 PEM, DER and the encrypted copy of the RSA sample are one key pair."""
    names = ["sample-rsa.key", "sample-rsa-pkcs1.key", "sample-rsa-key.der", "sample-rsa-encrypted.key"]
    report = cl.match([str(course.samples(n)) for n in names], passphrase=course.SAMPLE_PASSPHRASE)
    assert report.verdict == "match"


def test_legacy_sample_sha1_signature_is_valid_as_openssl_says():
    """An intact SHA-1 self-signature is reported valid (openssl req -verify agrees), not as altered."""
    path = course.samples("sample-legacy.csr")
    assert b"verify OK" in run_openssl("req", "-in", str(path), "-noout", "-verify").stderr
    assert signature_valid(cl.load_one(path).obj)
    assert cl.describe(path).signature_valid


def test_signature_valid_is_false_for_a_changed_byte():
    """One changed byte in the signed part makes signature_valid False, SHA-1 or SHA-256."""
    for name in ("sample-legacy.csr", "sample-rsa.csr", "sample-ec.csr"):
        der = bytearray(cl.load_one(course.samples(name)).obj.public_bytes(Encoding.DER))
        at = der.find(b"example.com")
        der[at] ^= 0x01
        assert not signature_valid(cl.load_one(bytes(der)).obj)


def test_workspace_copies_samples_into_a_temporary_folder(in_tmp):
    """workspace() makes a new folder outside the current one, copies the samples and moves into it."""
    ws = course.workspace()
    assert Path.cwd() == ws.path and ws.path != in_tmp and in_tmp not in ws.path.parents
    assert sorted(os.listdir(ws.path)) == course.sample_names()
    assert list(in_tmp.iterdir()) == []


def test_workspace_gives_copied_keys_mode_0600(in_tmp):
    """Copied key files are 0600 even though git does not keep file modes."""
    ws = course.workspace()
    assert (ws.path / "sample-rsa.key").stat().st_mode & 0o777 == 0o600
    assert (ws.path / "sample-rsa.csr").stat().st_mode & 0o777 == 0o644


def test_workspace_text_names_no_path(in_tmp):
    """The workspace's text is the same on every machine (nbval compares notebook outputs)."""
    ws = course.workspace()
    assert str(ws.path) not in str(ws) and "22 sample files" in str(ws)


def test_peek_hides_private_key_bodies():
    """peek shows certificates whole and only the frame of a private key."""
    key_text = course.samples("sample-rsa.key").read_text()
    shown = course.peek(course.samples("sample-rsa.key"))
    secret_lines = key_text.strip().splitlines()[1:-1]
    assert not any(line in shown for line in secret_lines)
    assert shown.startswith("-----BEGIN PRIVATE KEY-----") and shown.endswith("-----END PRIVATE KEY-----")
    assert course.peek(course.samples("sample-rsa.crt")) == course.samples("sample-rsa.crt").read_text().strip()


def test_peek_hides_keys_inside_mixed_files(tmp_path):
    """A file holding a certificate and a key shows the certificate but not the key."""
    mixed = tmp_path / "bundle.pem"
    mixed.write_bytes(course.samples("sample-rsa.crt").read_bytes() + course.samples("sample-ec.key").read_bytes())
    shown = course.peek(mixed)
    ec_body = course.samples("sample-ec.key").read_text().strip().splitlines()[1]
    assert "BEGIN CERTIFICATE" in shown and ec_body not in shown and "hidden" in shown


def test_peek_does_not_print_binary_files():
    """A DER file is described by its size, never dumped."""
    assert "binary (DER) file" in course.peek(course.samples("sample-rsa-key.der"))


def test_setup_check_reports_the_real_openssl_version():
    """The set-up check shows the same version line as `openssl version`."""
    report = course.setup_check()
    line = run_openssl("version").stdout.decode().strip()
    assert ("openssl command", line, True) in report.rows
    assert report.ok


def test_setup_check_does_not_import_widgets():
    """Checking for ipywidgets reads package metadata; it does not import the widget library."""
    code = "from csrlearn import course; course.setup_check(); import sys; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_check_without_an_answer_says_what_to_do():
    """An unanswered exercise is 'not yet', with the exercise's question."""
    result = course.check("1.1", None)
    assert not result and "no answer yet" in str(result) and "shop.example.org" in str(result)


def test_check_rejects_an_unknown_exercise():
    """A typo in the exercise number is an error that lists the real ones."""
    with pytest.raises(cl.CsrLearnError, match="0.1"):
        course.check("9.9", "x")


@pytest.mark.parametrize("exercise, wrong, hint", [
    ("0.1", ["sample-rsa.csr", "sample-rsa.key"], "private key"),
    ("0.1", ["sample-rsa.csr"], "missing"),
    ("0.2", "RSA 2048", "describe"),
    ("2.1", ["DNS:api.example.com"], "not quite"),
    ("3.1", "Modulus=143", "decimal"),
    ("3.1", "Modulus=8f0", "hexadecimal"),
    ("4.1", ["sample-rsa.crt"], "another key"),
])
def test_check_explains_wrong_answers(exercise, wrong, hint):
    """A wrong answer is 'not yet', with a hint pointing at the mistake."""
    result = course.check(exercise, wrong)
    assert not result.ok and hint in result.message


def test_check_3_2_spots_the_missing_newline():
    """Hashing the modulus line without its newline is the classic md5-pipe mistake, and is named."""
    import hashlib
    line = cl.openssl_modulus_line(cl.load_one(course.samples("sample-rsa-renewed.crt")))
    result = course.check("3.2", hashlib.md5(line.encode()).hexdigest())
    assert not result.ok and "newline" in result.message


def test_check_1_1_rejects_an_rsa_csr():
    """Exercise 1.1 asks for EC P-256: an RSA CSR with the right names is not accepted."""
    csr = cl.build_csr(cl.generate_key("rsa"), "/C=DE/CN=shop.example.org", ["shop.example.org", "example.org"])
    assert "EC P-256" in course.check("1.1", csr).message


def test_check_1_2_rejects_an_unencrypted_key(in_tmp):
    """Exercise 1.2 wants an encrypted key: a plain one is 'not yet'."""
    cl.save_key(cl.generate_key("ec"), "shop.key")
    assert "without a passphrase" in course.check("1.2", "shop.key").message


def test_check_2_2_rejects_a_change_outside_the_signature():
    """Exercise 2.2 asks for a byte of the signature; changing the name is pointed out."""
    der = bytearray(cl.load_one(course.samples("sample-rsa.csr")).obj.public_bytes(Encoding.DER))
    der[der.find(b"www")] = ord("x")
    assert "not in the signature" in course.check("2.2", bytes(der)).message


def test_check_4_2_rejects_the_wrong_order(in_tmp):
    """Exercise 4.2: the unrepaired chain (intermediate first) is 'not yet'."""
    Path("fixed-chain.pem").write_bytes(course.samples("sample-chain-wrong-order.pem").read_bytes())
    assert "goes first" in course.check("4.2", "fixed-chain.pem").message


def test_messy_folder_is_sorted_into_five_key_pairs(in_tmp):
    """The runbook's folder holds five public keys, one skipped notes file, and reads without errors."""
    course.messy_folder("incoming")
    report = cl.match(["incoming"])
    assert len(report.groups) == 5 and not report.errors
    assert [Path(f).name for f, _ in report.skipped] == ["NOTES.txt"]


def test_messy_folder_refuses_an_existing_folder(in_tmp):
    """messy_folder never writes into a folder that exists."""
    Path("incoming").mkdir()
    with pytest.raises(cl.CsrLearnError, match="already exists"):
        course.messy_folder("incoming")


def test_every_notebook_has_exercises():
    """Each of the six notebooks has at least one exercise with a self-check."""
    for nb in course.NOTEBOOKS:
        assert course.exercises(nb), nb


@pytest.mark.parametrize("notebook", sorted(course.NOTEBOOKS))
def test_solutions_pass_their_checks(notebook, in_tmp):
    """Every solutions file runs and each of its answers passes its self-check."""
    run = course.run_solutions(notebook)
    assert run.ok, str(run)
    assert {r.exercise for r in run.results} == set(course.exercises(notebook))
    assert Path.cwd() == in_tmp and list(in_tmp.iterdir()) == []


def test_solutions_files_sit_beside_the_notebooks():
    """Solutions live in notebooks/solutions/NN.py, one per notebook, and are readable as text."""
    for nb, name in course.NOTEBOOKS.items():
        assert (REPO / "notebooks" / "solutions" / f"{nb}.py").is_file()
        assert "course.check(" in course.solution_source(nb)


def test_no_solution_prints_private_key_material():
    """Solutions never print: their results come back as check lines only."""
    for path in (REPO / "notebooks" / "solutions").glob("*.py"):
        assert not re.search(r"^\s*print\(", path.read_text(), re.M), path.name


def test_workspace_sweeps_folders_of_dead_kernels(in_tmp):
    """A workspace left by a killed kernel (its pid is gone) is removed when the next one starts."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    stale = Path(tempfile.mkdtemp(prefix=f"csrlearn-course-{dead}-"))
    alive = Path(tempfile.mkdtemp(prefix=f"csrlearn-course-{os.getpid()}-"))
    try:
        course.workspace()
        assert not stale.exists() and alive.exists()
    finally:
        shutil.rmtree(alive, ignore_errors=True)
        shutil.rmtree(stale, ignore_errors=True)
