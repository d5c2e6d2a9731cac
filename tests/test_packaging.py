"""Set-up stays honest: conda and pip list the same dependencies, and the two commands are the documented ones."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_environment_yml_matches_pyproject():
    """environment.yml lists exactly the dependencies of pyproject.toml (core and all extras)."""
    project = _pyproject()["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_name(r) for r in extra}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert conda == wanted, f"only in environment.yml: {conda - wanted}; only in pyproject: {wanted - conda}"


def test_environment_yml_installs_this_package_for_binder():
    """The conda file's pip section installs csrlearn itself (what repo2docker/Binder runs)."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "." in pip or "-e ." in pip


def test_versions_agree_between_files():
    """Minimum versions in environment.yml equal those in pyproject.toml."""
    project = _pyproject()["project"]
    reqs = list(project["dependencies"]) + [r for e in project["optional-dependencies"].values() for r in e]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d): d.replace(" ", "") for d in env["dependencies"] if isinstance(d, str)}
    for r in reqs:
        assert conda[_name(r)].lower() == r.replace(" ", "").lower(), r


def test_console_script_and_python_requires():
    """The package declares the csrlearn console script, Python >= 3.10 and cryptography as its only core dependency."""
    project = _pyproject()["project"]
    assert project["scripts"]["csrlearn"] == "csrlearn.cli:main"
    assert project["requires-python"] == ">=3.10"
    assert [_name(d) for d in project["dependencies"]] == ["cryptography"]


def test_readme_two_commands_and_ci_calls_make_test():
    """The README names `make lab` and `make test`; .ci/run runs `make test`; both targets exist."""
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "--allow-root" in makefile and "--no-browser" in makefile
