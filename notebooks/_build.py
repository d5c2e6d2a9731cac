"""Write the course notebooks from the sources in ``notebooks/_src/NN-title.md`` and execute them.

    .venv/bin/python notebooks/_build.py            # write all notebooks, then execute them in place
    .venv/bin/python notebooks/_build.py 03         # only 03-moduli.ipynb
    .venv/bin/python notebooks/_build.py --no-run   # write without executing

A source file is the notebook as text: ``%% md`` starts a markdown cell, ``%% code`` a code cell.
The committed ``.ipynb`` files are the product (executed, so they read well on GitHub); this script
only saves typing JSON. ``make notebooks`` re-executes the committed notebooks without rebuilding them.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
SRC = HERE / "_src"


def parse(text: str) -> list[nbformat.NotebookNode]:
    cells = []
    for n, m in enumerate(re.finditer(r"^%% (md|code)\n(.*?)(?=^%% (?:md|code)\n|\Z)", text, re.S | re.M)):
        kind, body = m.group(1), m.group(2).strip("\n")
        make = nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell
        cell = make(body)
        cell["id"] = f"c{n:02d}"  # stable ids keep diffs small
        cells.append(cell)
    return cells


def build(src: Path, run: bool) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = parse(src.read_text())
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "pygments_lexer": "ipython3"},
    }
    out = HERE / f"{src.stem}.ipynb"
    if run:
        NotebookClient(nb, timeout=120, kernel_name="python3", record_timing=False, resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.validate(nb)
    nbformat.write(nb, out)
    return out


def main(argv: list[str]) -> None:
    run = "--no-run" not in argv
    wanted = [a for a in argv if not a.startswith("--")]
    for src in sorted(SRC.glob("[0-9][0-9]-*.md")):
        if not wanted or src.stem[:2] in wanted:
            print("built", build(src, run).name)


if __name__ == "__main__":
    main(sys.argv[1:])
