"""No key lost: failed, interrupted and racing writes never leave a partial key or destroy the previous one.

Faults are simulated honestly: a full disk by making ``os.write`` fail with ENOSPC part-way, permission
denied by dropping to the ``nobody`` user (root ignores file modes), a crash by SIGKILL of a child
process caught mid-write, races by several ``csrlearn new`` processes released at the same instant.
"""
from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import csrlearn as cl
from csrlearn.cli import main
from csrlearn.errors import CsrLearnError, WouldOverwriteError

NEW = ["new", "--cn", "www.example.com", "--key-type", "ec"]


def _pair(d: Path) -> tuple[Path, Path]:
    return d / "www.example.com.key", d / "www.example.com.csr"


def _make_pair(d: Path) -> tuple[bytes, bytes]:
    """A first, valid key/CSR pair (the one a failed renewal must not destroy)."""
    assert main([*NEW, "-o", str(d)]) == 0
    key, csr = _pair(d)
    return key.read_bytes(), csr.read_bytes()


def _assert_matching_pair(d: Path) -> None:
    key, csr = _pair(d)
    assert cl.match([key, csr]).verdict == "match"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def _leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name.endswith(".tmp"))


def _child(code: str, *args: str, cwd: Path, **kw) -> subprocess.Popen:
    """A Python child running ``code`` (``csrlearn.cli.main`` imported as ``main``)."""
    prelude = "import os, sys, time\nfrom csrlearn.cli import main\n"
    return subprocess.Popen([sys.executable, "-c", prelude + textwrap.dedent(code), *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# ------------------------------------------------------------------------------------------ disk full

def _enospc_after(monkeypatch, nbytes: int) -> list[int]:
    """Make csrlearn's os.write accept ``nbytes`` in total, then fail with ENOSPC (a disk filling up)."""
    import csrlearn.files as files
    real_write, written = os.write, [0]

    def write(fd, data):
        room = nbytes - written[0]
        if room <= 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = real_write(fd, bytes(data[:room]))
        written[0] += n
        return n
    monkeypatch.setattr(files.os, "write", write)
    return written


def test_disk_full_during_renewal_keeps_the_previous_pair(tmp_path, capsys, monkeypatch):
    """`new --force` on a full disk exits 2 and leaves the previous key and CSR byte for byte, no temp files."""
    old_key, old_csr = _make_pair(tmp_path)
    capsys.readouterr()
    written = _enospc_after(monkeypatch, 100)
    code = main([*NEW, "-o", str(tmp_path), "--force"])
    monkeypatch.undo()
    out, err = capsys.readouterr()
    assert written[0] == 100, "the simulated disk never filled"
    assert code == 2 and err.count("\n") == 1 and "No space left on device" in err, err
    key, csr = _pair(tmp_path)
    assert key.read_bytes() == old_key and csr.read_bytes() == old_csr
    assert _leftovers(tmp_path) == []


def test_disk_full_while_writing_the_csr_keeps_the_previous_pair(tmp_path, capsys, monkeypatch):
    """Space for the new key but not its CSR: the previous key is not replaced by a key without a CSR."""
    old_key, old_csr = _make_pair(tmp_path)
    capsys.readouterr()
    _enospc_after(monkeypatch, len(old_key) + 50)  # the key fits, the CSR does not
    code = main([*NEW, "-o", str(tmp_path), "--force"])
    monkeypatch.undo()
    assert code == 2
    key, csr = _pair(tmp_path)
    assert key.read_bytes() == old_key and csr.read_bytes() == old_csr
    assert _leftovers(tmp_path) == []


def test_disk_full_on_a_fresh_name_leaves_nothing(tmp_path, capsys, monkeypatch):
    """A first `new` on a full disk leaves no key, no CSR and no temporary file."""
    _enospc_after(monkeypatch, 0)
    assert main([*NEW, "-o", str(tmp_path)]) == 2
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


def test_save_key_disk_full_keeps_the_old_file(tmp_path, monkeypatch):
    """save_key(overwrite=True) failing half-way raises CsrLearnError and the old key file is unchanged."""
    path = tmp_path / "server.key"
    cl.save_key(cl.generate_key("ec"), path)
    before = path.read_bytes()
    _enospc_after(monkeypatch, 64)
    with pytest.raises(CsrLearnError, match="nothing was changed"):
        cl.save_key(cl.generate_key("ec"), path, overwrite=True)
    monkeypatch.undo()
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


# ------------------------------------------------------------------------------------------ permission denied

def test_permission_denied_as_an_unprivileged_user(tmp_path):
    """`new -o DIR` where the user may not write exits 2 with one line, and nothing appears in DIR.

    Root ignores modes, so the child drops to `nobody` after its imports.
    """
    if os.geteuid() != 0:
        pytest.fail("this test needs root, to drop to nobody (the suite runs as root here)")
    import pwd
    nobody = pwd.getpwnam("nobody")
    d = Path(tempfile.mkdtemp(prefix="csrlearn-readonly-"))
    try:
        d.chmod(0o755)  # root's directory: nobody may enter and read, not write
        proc = _child(f"""
            import json, shutil, gettext, textwrap, argparse, getpass, threading, contextlib, fcntl
            import csrlearn.files, csrlearn.keys, csrlearn.csr, csrlearn.names, csrlearn.match, csrlearn.recipe
            from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519
            os.setgroups([]); os.setgid({nobody.pw_gid}); os.setuid({nobody.pw_uid})
            sys.exit(main({[*NEW, "-o", str(d)]!r}))
            """, cwd=d)
        out, err = proc.communicate(timeout=60)
        listing = sorted(p.name for p in d.iterdir())
    finally:
        for p in d.iterdir():
            p.unlink()
        d.rmdir()
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and "Permission denied" in err and "nothing was changed" in err, err
    assert listing == []


# ------------------------------------------------------------------------------------------ killed mid-write

@pytest.mark.parametrize("stage", ["write", "fsync"])
def test_killed_mid_write_keeps_the_previous_key(tmp_path, stage):
    """SIGKILL while `new --force` writes (mid-write, or before fsync): the previous key and CSR are intact.

    Whatever the kill leaves behind is only a hidden temporary file, mode 0600 — never a partial
    file under the key's name.
    """
    old_key, old_csr = _make_pair(tmp_path)
    ready = tmp_path / "ready"
    proc = _child(f"""
        import csrlearn.files as files
        real = os.{stage}
        def stall(fd, *rest):
            if "{stage}" == "write":  # write half of the first chunk, then stall
                n = real(fd, bytes(rest[0][: max(1, len(rest[0]) // 2)]))
            else:
                n = real(fd)
            open({str(ready)!r}, "w").close()
            time.sleep(60)
            return n
        files.os.{stage} = stall
        sys.exit(main({[*NEW, "-o", str(tmp_path), "--force"]!r}))
        """, cwd=tmp_path)
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the child never reached the write"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    key, csr = _pair(tmp_path)
    assert key.read_bytes() == old_key and csr.read_bytes() == old_csr
    _assert_matching_pair(tmp_path)
    for name in _leftovers(tmp_path):
        assert name.startswith(".") and stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


# ------------------------------------------------------------------------------------------ races

def _race(tmp_path: Path, n: int, *extra: str, slow_rename: bool = False) -> list[tuple[int, str, str]]:
    """Start ``n`` `csrlearn new` processes on one name and release them at the same instant.

    ``slow_rename``: each rename into place takes 0-100 ms longer (at random), which widens the window
    in which two runs could interleave (one's key, the other's CSR) from microseconds to near certainty.
    """
    go = tmp_path / "go"
    procs = [_child(f"""
        import csrlearn.files, csrlearn.keys, csrlearn.csr, csrlearn.names, csrlearn.match
        if {slow_rename!r}:
            real_replace = os.replace
            def slow_replace(a, b):
                real_replace(a, b)
                time.sleep(__import__("random").uniform(0, 0.1))
            csrlearn.files.os.replace = slow_replace
        while not os.path.exists({str(go)!r}):
            time.sleep(0.001)
        sys.exit(main({[*NEW, "-o", str(tmp_path / "out"), *extra]!r}))
        """, cwd=tmp_path) for _ in range(n)]
    time.sleep(1.0)  # let every child finish importing
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        results.append((p.returncode, out, err))
    return results


def test_concurrent_new_on_one_name_leaves_exactly_one_pair(tmp_path):
    """Six `new` runs on the same name at once: one wins (exit 0), the others exit 2 'already exists', one matching pair."""
    (tmp_path / "out").mkdir()
    results = _race(tmp_path, 6)
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2, 2, 2, 2, 2], results
    for code, out, err in results:
        if code == 2:
            assert err.count("\n") == 1 and "already exists" in err, err
    winner = next(out for code, out, err in results if code == 0)
    _assert_matching_pair(tmp_path / "out")
    assert cl.fingerprint(cl.load_one(_pair(tmp_path / "out")[0])) in winner
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["www.example.com.csr", "www.example.com.key"]


def test_concurrent_forced_renewals_leave_one_matching_pair(tmp_path):
    """Six `new --force` runs at once over an existing pair: the key and CSR left behind belong together."""
    (tmp_path / "out").mkdir()
    _make_pair(tmp_path / "out")
    results = _race(tmp_path, 6, "--force", slow_rename=True)
    assert all(r[0] == 0 for r in results), results
    _assert_matching_pair(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["www.example.com.csr", "www.example.com.key"]


# ------------------------------------------------------------------------------------------ modes and links

def test_key_is_0600_under_umask_000(tmp_path):
    """With umask 000 a new key is still 0600 (from its first byte) and the CSR 0644."""
    proc = _child(f"""
        os.umask(0)
        sys.exit(main({[*NEW, "-o", str(tmp_path)]!r}))
        """, cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    key, csr = _pair(tmp_path)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(csr.stat().st_mode) == 0o644


def test_key_never_readable_by_others_while_being_written(tmp_path, monkeypatch):
    """The temporary file holding the key is 0600 before the first byte of key material is written."""
    import csrlearn.files as files
    real_write, modes = os.write, []

    def write(fd, data):
        modes.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)
    monkeypatch.setattr(files.os, "write", write)
    old = os.umask(0)
    try:
        cl.save_key(cl.generate_key("ec"), tmp_path / "k.key")
    finally:
        os.umask(old)
        monkeypatch.undo()
    assert modes and set(modes) == {0o600}


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("dangling", [False, True])
def test_nothing_written_through_a_symlink(tmp_path, capsys, force, dangling):
    """A key name that is a symlink (to a file, or dangling) is refused even with --force; the target is untouched."""
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    if not dangling:
        victim.write_bytes(b"precious\n")
    key, csr = _pair(out)
    key.symlink_to(victim)
    code = main([*NEW, "-o", str(out), *(["--force"] if force else [])])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and str(key) in err, err
    assert key.is_symlink()
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_bytes() == b"precious\n"
    assert not csr.exists() and _leftovers(out) == []


def test_save_refuses_a_symlinked_csr_name(tmp_path):
    """save() of a CSR over a symlink raises WouldOverwriteError even with overwrite=True."""
    key = cl.generate_key("ec")
    csr = cl.build_csr(key, cl.Subject(common_name="www.example.com"), ["www.example.com"])
    target = tmp_path / "elsewhere.csr"
    link = tmp_path / "site.csr"
    link.symlink_to(target)
    with pytest.raises(WouldOverwriteError, match="symbolic link"):
        cl.save(csr, link, overwrite=True)
    assert not target.exists()
