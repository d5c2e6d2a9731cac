"""The course notebooks: run under nbval (once each), and shaped the way the course promises.

nbval runs the six notebooks in one subprocess (``pytest --nbval-lax``), so only cells marked
``# NBVAL_CHECK_OUTPUT`` are compared with their stored output, every other cell must simply run, and
no other ``.ipynb`` file in the repository (a browser-test demo, say) is swept into nbval by accident.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from csrlearn import course

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))
MARK = "# NBVAL_CHECK_OUTPUT"


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _code(path: Path) -> list[dict]:
    return [c for c in _cells(path) if c["cell_type"] == "code"]


def _markdown(path: Path) -> str:
    return "\n".join(_source(c) for c in _cells(path) if c["cell_type"] == "markdown")


def _output_texts(cell: dict) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            texts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
        for value in out.get("data", {}).values():
            if isinstance(value, (str, list)):
                texts.append("".join(value) if isinstance(value, list) else value)
    return texts


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts}


def test_course_passes_nbval_and_leaves_no_files():
    """Every notebook runs top to bottom in a fresh kernel, its marked outputs match, and it writes nothing here."""
    before = _tree(NOTEBOOK_DIR) | _tree(REPO / "csrlearn" / "samples")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
         "-q", "--no-header", "-o", "addopts=", *map(str, NOTEBOOKS)],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"nbval failed:\n{proc.stdout[-8000:]}\n{proc.stderr[-2000:]}"
    assert f"{sum(len(_code(nb)) for nb in NOTEBOOKS)} passed" in proc.stdout, proc.stdout[-2000:]
    assert _tree(NOTEBOOK_DIR) | _tree(REPO / "csrlearn" / "samples") == before


def test_the_six_notebooks_of_the_course():
    """notebooks/ holds exactly the six course notebooks, named NN-title.ipynb as course.NOTEBOOKS lists them."""
    assert [p.name for p in NOTEBOOKS] == list(course.NOTEBOOKS.values())


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_the_course_shape(notebook):
    """H1 first, learning objectives, prerequisites, numbered steps, a Try-it cell, a recap and exercises."""
    cells = _cells(notebook)
    assert cells[0]["cell_type"] == "markdown" and _source(cells[0]).startswith("# ")
    text = _markdown(notebook)
    for needle in ("**Learning objectives.**", "**Prerequisites.**", "## Step 1", "## Step 2", "## Recap",
                   "## Exercises", "**Solutions:**" if notebook.name[:2] != "00" else "**Solutions**"):
        assert needle in text, f"{notebook.name} lacks {needle!r}"
    assert any(_source(c).startswith("# Try it") for c in _code(notebook)), f"{notebook.name}: no Try-it cell"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_setup_cell_first(notebook):
    """The first code cell is the only one that imports csrlearn and makes the temporary workspace."""
    code = [_source(c) for c in _code(notebook)]
    assert "course.workspace()" in code[0] and "course.setup_check()" in code[0]
    assert not any("course.workspace(" in src or "import csrlearn" in src for src in code[1:])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_executed_in_order(notebook):
    """Every code cell was run once, top to bottom in one fresh kernel, and none stored an error."""
    counts = [c["execution_count"] for c in _code(notebook)]
    assert counts == list(range(1, len(counts) + 1)), f"{notebook.name}: execution counts {counts}"
    for cell in _code(notebook):
        assert not any(o.get("output_type") == "error" for o in cell["outputs"]), _source(cell)[:80]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_private_key_in_any_output(notebook):
    """No output of any cell shows the base64 body of a private key."""
    pem_key = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*\n\s*[A-Za-z0-9+/=]{40,}")
    for cell in _code(notebook):
        for text in _output_texts(cell):
            assert not pem_key.search(text), f"{notebook.name}: a private key is shown by {_source(cell)[:60]!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_cells_are_short_and_define_nothing(notebook):
    """Notebooks call the package: no code cell defines a function or class, none has more than 8 lines of code."""
    for cell in _code(notebook):
        src = _source(cell)
        assert not re.search(r"^\s*(def|class) ", src, re.M), f"{notebook.name}: defines code: {src[:60]!r}"
        lines = [line for line in src.splitlines() if line.strip()]
        assert len(lines) <= 8, f"{notebook.name}: a long cell: {src[:60]!r}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_have_self_checks_and_run_their_solutions(notebook):
    """Each exercise has a course.check cell, and the notebook runs its own solutions file."""
    nb = notebook.name[:2]
    code = "\n".join(_source(c) for c in _code(notebook))
    for number in course.exercises(nb):
        assert f'course.check("{number}"' in code, f"{notebook.name}: no check cell for exercise {number}"
    assert f'course.run_solutions("{nb}")' in code


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_marked_cells_have_stored_outputs(notebook):
    """A cell marked for comparison has an output to compare (otherwise the mark checks nothing)."""
    for cell in _code(notebook):
        if _source(cell).startswith(MARK):
            assert cell["outputs"], f"{notebook.name}: marked cell without output: {_source(cell)[:60]!r}"


def test_at_least_ten_compared_cells_across_the_course():
    """At least ten cells, on sample files or pure arithmetic, have their outputs compared by nbval."""
    marked = sum(_source(c).startswith(MARK) for nb in NOTEBOOKS for c in _code(nb))
    assert marked >= 10


def test_no_cell_relies_on_the_raises_marker():
    """A failing cell asserts its error in code: nbval's raises marker passes even when nothing is raised."""
    for nb in NOTEBOOKS:
        for cell in _code(nb):
            assert "NBVAL_RAISES_EXCEPTION" not in _source(cell) and "raises-exception" not in str(cell["metadata"])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_navigation_links_point_to_existing_notebooks(notebook):
    """Every link to another notebook resolves, and each notebook links to the next one."""
    text = _markdown(notebook)
    for target in re.findall(r"\]\(([^)#]+\.ipynb)\)", text):
        assert (NOTEBOOK_DIR / target).is_file(), f"{notebook.name} links to missing {target}"
    i = NOTEBOOKS.index(notebook)
    if i + 1 < len(NOTEBOOKS):
        assert f"({NOTEBOOKS[i + 1].name})" in text


def test_matching_notebook_uses_diff3_and_python_side_by_side():
    """Notebook 04 runs the real diff3 on three md5 files, and compares the same digests in Python."""
    nb = NOTEBOOK_DIR / course.NOTEBOOKS["04"]
    diff3_cells = [c for c in _code(nb) if re.search(r"^!.*\bdiff3 ", _source(c), re.M)]
    assert diff3_cells and any("====3" in t for c in diff3_cells for t in _output_texts(c))
    assert any("cl.modulus_md5" in _source(c) and not _source(c).startswith("!") for c in _code(nb))


def test_at_least_four_notebooks_carry_a_widget():
    """Four or more notebooks create a csrlearn widget, and its view was stored when the notebook ran."""
    with_widget = [nb.name for nb in NOTEBOOKS
                   if any("from csrlearn.widgets import" in _source(c) and any(
                       "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in c["outputs"])
                       for c in _code(nb))]
    assert len(with_widget) >= 4, with_widget


@pytest.mark.parametrize("key, calls", [
    ("01", ["cl.openssl_recipe(", "cl.lint("]),
    ("02", ["cl.byte_map(", "cl.lint("]),
    ("03", ["cl.prove("]),
    ("04", ["cl.prove("]),
])
def test_notebooks_use_the_inspection_tools(key, calls):
    """The recipe, byte map, linter and proof appear where the course teaches them."""
    code = "\n".join(_source(c) for c in _code(NOTEBOOK_DIR / course.NOTEBOOKS[key]))
    for call in calls:
        assert call in code, f"{course.NOTEBOOKS[key]} does not call {call}"
