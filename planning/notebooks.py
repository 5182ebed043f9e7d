"""The planners' notebooks (``notebooks/*.py``, jupytext percent format) as pages and files.

A notebook is read from its plain-text source, or from an executed copy
(``<exports>/notebooks/<name>.ipynb``, with its rendered ``<name>.html``, both written by
``planning.notebook_run``) when one has been stored there, so the page can show its outputs
(tables, figures) and when it ran; the download is the same notebook as ``.ipynb``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from data.errors import NotFound

__all__ = ["NOTEBOOKS", "Cell", "Notebook", "notebook", "notebook_names"]

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@dataclass
class Cell:
    """One cell: "markdown" or "code", its source and its outputs' text (code cells)."""

    kind: str
    source: str
    outputs: list[str] = field(default_factory=list)


@dataclass
class Notebook:
    """A notebook as the page shows it and the download carries it."""

    name: str
    title: str
    executed: bool
    cells: list[Cell]
    ipynb: str
    html: str | None = None  # the executed notebook rendered (sanitised), when stored
    executed_at: dt.datetime | None = None


def notebook_names() -> list[str]:
    """The notebooks in ``notebooks/``, by name."""
    return sorted(p.stem for p in NOTEBOOKS.glob("*.py"))


def _outputs(cell: Any) -> list[str]:
    out = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            out.append(str(o.get("text", "")))
        elif "text/plain" in o.get("data", {}):
            out.append(str(o["data"]["text/plain"]))
        elif o.get("output_type") == "error":
            out.append(f"{o.get('ename', '')}: {o.get('evalue', '')}")
    return out


def notebook(name: str, executed_dir: Path | None = None) -> Notebook:
    """The notebook ``name``: its executed copy from ``executed_dir`` when there is one,
    else its source; NotFound for a name that is not one of ours."""
    import jupytext
    import nbformat

    if name not in notebook_names():
        raise NotFound(_("There is no notebook '%(name)s'.", name=name), field="name")
    stored = executed_dir / f"{name}.ipynb" if executed_dir else None
    html = None
    if stored is not None and stored.is_file():
        nb, executed = nbformat.read(stored, as_version=4), True
        page = stored.with_suffix(".html")
        html = page.read_text(encoding="utf-8") if page.is_file() else None
    else:
        nb, executed = jupytext.read(NOTEBOOKS / f"{name}.py"), False
    cells = [Cell(c.cell_type, str(c.source), _outputs(c) if c.cell_type == "code" else [])
             for c in nb.cells if c.cell_type in ("markdown", "code")]
    title = next((line.lstrip("# ").strip() for c in cells if c.kind == "markdown"
                  for line in c.source.splitlines() if line.startswith("# ")), name)
    when = nb.metadata.get("tasharuk_executed_at")  # planning.notebook_run.EXECUTED_KEY
    return Notebook(name, title, executed, cells, nbformat.writes(nb), html,
                    dt.datetime.fromisoformat(when) if when else None)
