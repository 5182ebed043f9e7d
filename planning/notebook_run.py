"""Execute the planners' notebooks against the product's data, read-only, and keep the result.

A notebook runs in its own kernel (nbclient) with ``TASHARUK_NOTEBOOK_READONLY_URL`` set: it
then reads the product's database through read-only transactions (``data.db.read_only_engine``)
and loads nothing. The executed notebook is kept as ``<name>.ipynb`` (the download) and as
``<name>.html``: nbconvert's ``basic`` template (the cells only, no page head, so no script or
style sheet from a CDN), sanitised by an nh3 allow-list (no script, no inline style: the page's
CSP stays strict), images inline as ``data:`` URLs. Both are written whole, then renamed.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from data.errors import BadInput

from .notebooks import NOTEBOOKS, notebook_names

__all__ = ["EXECUTED_KEY", "Executed", "NotebookFailed", "READONLY_URL_ENV", "execute",
           "execute_all",
           "executed_folder", "sanitise"]

READONLY_URL_ENV = "TASHARUK_NOTEBOOK_READONLY_URL"
EXECUTED_KEY = "tasharuk_executed_at"  # in the .ipynb's metadata: when it was executed
TIMEOUT_S = 600

_TAGS = {"a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
         "hr", "i", "img", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table",
         "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
_ATTRIBUTES = {"*": {"class"}, "a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
               "th": {"colspan", "rowspan", "scope"}, "td": {"colspan", "rowspan"},
               "h1": {"id"}, "h2": {"id"}, "h3": {"id"}, "h4": {"id"}}


@dataclass
class Executed:
    """Where an executed notebook was kept, and when it ran."""

    name: str
    html: Path
    ipynb: Path
    executed_at: dt.datetime


def sanitise(html: str) -> str:
    """The exported cells' HTML with scripts, styles and inline style attributes removed, and
    only links that stay on the page (``#``) or images inline as ``data:``."""
    import nh3

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "href":
            return value if value.startswith("#") else None
        if attribute == "src":
            return value if value.startswith("data:image/") else None
        return value

    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, attribute_filter=keep,
                     url_schemes={"data"}, link_rel=None)


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole: into a temporary file of the folder, then renamed."""
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                     suffix=".partial") as f:
        f.write(text)
    Path(f.name).replace(path)


def executed_folder(config) -> Path:
    """Where executed notebooks are kept: ``notebooks/`` in the exports cache."""
    from data.io.downloads import cache_folder

    return cache_folder(config) / "notebooks"


def execute_all(config, names: list[str] | None = None) -> list[Executed]:
    """Execute ``names`` (default: every notebook) on the app's database, read-only, into
    ``executed_folder``; unknown names are refused before anything runs."""
    names = list(names or notebook_names())
    for name in names:
        if name not in notebook_names():
            raise BadInput(_("There is no notebook '%(name)s'.", name=name), field="name")
    folder = executed_folder(config)
    done, failed = [], []
    for name in names:  # one failing notebook keeps its last good copy and stops no other
        try:
            done.append(execute(name, config["DATABASE_URL"], folder))
        except Exception as exc:  # noqa: BLE001 - reported below, with the notebook's name
            failed.append(f"{name}: {type(exc).__name__}: {str(exc).strip()[-500:]}")
    if failed:
        raise NotebookFailed("; ".join(failed))
    return done


class NotebookFailed(RuntimeError):
    """A notebook stopped on an error (its earlier executed copy is kept)."""


def execute(name: str, database_url: str, folder: Path, *,
            timeout: int = TIMEOUT_S) -> Executed:
    """Run notebook ``name`` top to bottom on ``database_url`` (read-only) and keep its
    executed .ipynb and HTML in ``folder``; an error in a cell raises (nothing is replaced)."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    if name not in notebook_names():
        raise BadInput(_("There is no notebook '%(name)s'.", name=name), field="name")
    nb = jupytext.read(NOTEBOOKS / f"{name}.py")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"notebook-{name}-") as scratch:
        env = {**os.environ, READONLY_URL_ENV: database_url,
               "TASHARUK_NOTEBOOK_OUTPUT": scratch, "MPLBACKEND": "Agg",
               "JUPYTER_PLATFORM_DIRS": "1"}
        for loading in ("DATABASE_URL", "TASHARUK_NOTEBOOK_DATABASE_URL"):  # walkthroughs'
            env.pop(loading, None)
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(NOTEBOOKS.parent)}}).execute(env=env)
    when = dt.datetime.now(dt.UTC).replace(microsecond=0)
    nb.metadata[EXECUTED_KEY] = when.isoformat()
    body, _resources = HTMLExporter(template_name="basic", exclude_input_prompt=True,
                                    exclude_output_prompt=True,
                                    exclude_anchor_links=True).from_notebook_node(nb)
    html, ipynb = folder / f"{name}.html", folder / f"{name}.ipynb"
    _write(html, sanitise(body))
    _write(ipynb, nbformat.writes(nb))
    return Executed(name, html, ipynb, when)
