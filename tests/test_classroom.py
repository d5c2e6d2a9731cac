"""The course on JupyterHub: the hub's config, and a real two-learner classroom run end to end.

The light form of `make classroom-test`: a real JupyterHub with its npm proxy on 127.0.0.1, two
learners created and logged in through the Hub, their servers started through the REST API and the
first notebook run in both kernels at once. It takes about 25 s on two cores.
"""
from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config.loader import PyFileConfigLoader

REPO = Path(__file__).resolve().parent.parent
HUB_DIR = REPO / "deploy" / "jupyterhub"
LEARNERS = 2


def _load_classroom_test():
    spec = importlib.util.spec_from_file_location("classroom_test", HUB_DIR / "classroom_test.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["classroom_test"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


ct = _load_classroom_test()


def _hub_config(monkeypatch, tmp_path: Path, notebooks: Path | None = None):
    """Load jupyterhub_config.py as JupyterHub would, with its state in tmp_path."""
    for name in list(os.environ):
        if name.startswith("CSRLEARN_HUB_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CSRLEARN_HUB_STATE", str(tmp_path / "state"))
    if notebooks is not None:
        monkeypatch.setenv("CSRLEARN_HUB_NOTEBOOKS", str(notebooks))
    return PyFileConfigLoader("jupyterhub_config.py", path=str(HUB_DIR)).load_config()


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """One real classroom session with two learners; the report plus where it ran."""
    work = tmp_path_factory.mktemp("classroom")
    notebook = ct.default_notebook() or ct.write_tiny_notebook(work / "course")
    report = ct.run_classroom(LEARNERS, notebook, workdir=work, log=lambda *a: None)
    print(report)  # shown by pytest -s, or with the failure
    return SimpleNamespace(report=report, work=work, notebook=notebook)


# --- the config on its own -------------------------------------------------------------------------
def test_config_listens_only_on_loopback_by_default(monkeypatch, tmp_path):
    """Without settings, the proxy, its API, the Hub and every learner's server bind to 127.0.0.1."""
    c = _hub_config(monkeypatch, tmp_path)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8000"
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert c.Spawner.ip == "127.0.0.1"


def test_config_uses_the_shared_password_with_generated_private_passwords(monkeypatch, tmp_path):
    """The room's password and the trainer's are generated once into 0600 files in the state folder."""
    c = _hub_config(monkeypatch, tmp_path)
    assert c.JupyterHub.authenticator_class == "shared-password"
    learner = tmp_path / "state" / "learner-password"
    trainer = tmp_path / "state" / "trainer-password"
    assert c.SharedPasswordAuthenticator.user_password == learner.read_text().strip()
    assert len(c.SharedPasswordAuthenticator.admin_password) >= 32  # JupyterHub's rule for admin passwords
    assert stat.S_IMODE(learner.stat().st_mode) == stat.S_IMODE(trainer.stat().st_mode) == 0o600
    again = _hub_config(monkeypatch, tmp_path)
    assert again.SharedPasswordAuthenticator.user_password == c.SharedPasswordAuthenticator.user_password


def test_seed_copies_the_course_once_and_keeps_a_learners_edits(monkeypatch, tmp_path):
    """A learner's directory gets the notebooks (not build sources); a restart keeps their edited copy."""
    course = tmp_path / "course"
    (course / "_src").mkdir(parents=True)
    (course / "_src" / "00.md").write_text("build source")
    (course / "00-start.ipynb").write_text("original")
    c = _hub_config(monkeypatch, tmp_path, notebooks=course)
    spawner = c.JupyterHub.spawner_class(user=SimpleNamespace(name="alice"))
    home = spawner.seed()
    assert home == (tmp_path / "state" / "classroom" / "alice").resolve()
    assert (home / "00-start.ipynb").read_text() == "original"
    assert not (home / "_src").exists()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    (home / "00-start.ipynb").write_text("the learner's work")
    spawner.seed()
    assert (home / "00-start.ipynb").read_text() == "the learner's work"


def test_learner_environment_points_home_and_temp_files_into_their_directory(monkeypatch, tmp_path):
    """HOME and TMPDIR of a learner's server are inside their own directory; the venv's commands come first."""
    c = _hub_config(monkeypatch, tmp_path, notebooks=tmp_path)
    spawner = c.JupyterHub.spawner_class(user=SimpleNamespace(name="bob"))
    env = spawner.user_env({"PATH": "/usr/bin"})
    home = tmp_path / "state" / "classroom" / "bob"
    assert Path(env["HOME"]) == home.resolve()
    assert Path(env["TMPDIR"]) == home.resolve() / ".tmp"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)


def test_seed_refuses_a_name_that_is_not_a_safe_directory_name(monkeypatch, tmp_path):
    """A learner name such as '../bob' never becomes a path."""
    c = _hub_config(monkeypatch, tmp_path, notebooks=tmp_path)
    spawner = c.JupyterHub.spawner_class(user=SimpleNamespace(name="../bob"))
    with pytest.raises(ValueError, match="cannot be used as a directory name"):
        spawner.seed()


def test_cells_to_run_follows_nbval_markers():
    """Skipped cells are left out, raising cells may raise, and only marked, executed cells are compared."""
    cells = [
        {"cell_type": "markdown", "source": "# title"},
        {"cell_type": "code", "source": "x = 1", "execution_count": 1, "outputs": []},
        {"cell_type": "code", "source": "# NBVAL_SKIP\nslow()", "execution_count": 2, "outputs": []},
        {"cell_type": "code", "source": "# NBVAL_RAISES_EXCEPTION\n1/0", "execution_count": 3, "outputs": []},
        {"cell_type": "code", "source": ["# NBVAL_CHECK_OUTPUT\n", "print(x)"], "execution_count": 4,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "1\n"}]},
        {"cell_type": "code", "source": "x", "execution_count": 5, "metadata": {"tags": ["nbval-check-output"]},
         "outputs": [{"output_type": "execute_result", "data": {"text/plain": "1"}}]},
    ]
    assert ct.cells_to_run(cells) == [
        ("x = 1", False, None),
        ("# NBVAL_RAISES_EXCEPTION\n1/0", True, None),
        ("# NBVAL_CHECK_OUTPUT\nprint(x)", False, "1\n"),
        ("x", False, "1\n"),
    ]


# --- a real classroom --------------------------------------------------------------------------------
def test_every_learner_logs_in_and_runs_the_whole_notebook(classroom):
    """Both learners log in with the room's password and every cell runs without error, stored outputs matching."""
    cells = ct.cells_to_run(json.loads(classroom.notebook.read_text())["cells"])
    assert len(classroom.report.learners) == LEARNERS
    for learner in classroom.report.learners:
        assert learner.login_ok, learner.name
        assert learner.errors == [], learner.name
        assert learner.cells_run == len(cells), learner.name
    assert classroom.report.problems == []


def test_a_wrong_password_is_refused(classroom):
    """The Hub's login form does not let a learner in with a wrong password."""
    assert classroom.report.wrong_password_rejected


def test_each_learner_works_in_their_own_directory(classroom):
    """Each kernel's HOME is the learner's directory, and its working and temporary folders are inside it."""
    for learner in classroom.report.learners:
        home = (classroom.work / "classroom" / learner.name).resolve()
        assert Path(learner.kernel_home).resolve() == home
        for where in (learner.kernel_cwd, learner.kernel_tmp):
            assert Path(where).resolve().is_relative_to(home), (learner.name, where)


def test_learner_directories_are_private_copies_of_the_course(classroom):
    """Each learner has a 0700 directory holding an untouched copy of the notebook, and nothing of another's."""
    names = {learner.name for learner in classroom.report.learners}
    root = classroom.work / "classroom"
    assert {p.name for p in root.iterdir()} == names
    for name in names:
        home = root / name
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert (home / classroom.notebook.name).read_bytes() == classroom.notebook.read_bytes()
        assert not {p.name for p in home.iterdir()} & (names - {name})


def test_a_learner_cannot_reach_a_neighbours_files_or_server(classroom):
    """The contents API refuses ../neighbour paths, and a learner's token is refused by a neighbour's server."""
    for learner in classroom.report.learners:
        assert learner.isolation_problems == [], learner.name
        codes = learner.foreign_access
        assert len(codes) == 2 * (LEARNERS - 1)
        assert all(code in (403, 404) for code in codes.values()), codes
        assert [c for attempt, c in codes.items() if "with own token" in attempt] == [403] * (LEARNERS - 1)


def test_nothing_listens_beyond_loopback(classroom):
    """Every socket the hub, the proxy, the servers and the kernels listened on was on 127.0.0.1."""
    listening = classroom.report.listening
    assert len(listening) >= 3 + LEARNERS  # proxy, its API, the Hub, one per server (plus kernels)
    assert all(entry.split()[-1].startswith("127.0.0.1:") for entry in listening), listening


def test_stopping_the_hub_stops_every_process_it_started(classroom):
    """After the run, the proxy, the servers and the kernels are all gone without the test killing any."""
    report = classroom.report
    assert report.processes_started >= 1 + 2 * LEARNERS
    assert report.leftover_pids == []
    assert report.stopped_cleanly


def test_report_gives_startup_time_and_memory_per_learner(classroom):
    """The report measures each learner's start-up and memory, the wall time, and says the run passed."""
    report = classroom.report
    for learner in report.learners:
        assert learner.startup_s > 0 and learner.run_s > 0
        assert learner.server_rss_mb > 0 and learner.kernel_rss_mb > 0
    assert report.wall_s > 0 and report.ok
    text = str(report)
    assert "RESULT: every learner ok" in text and "memory per learner" in text
    assert json.loads(json.dumps(report.to_dict()))["ok"] is True
