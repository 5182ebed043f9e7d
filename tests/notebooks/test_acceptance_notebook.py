"""notebooks/acceptance_model.py runs top to bottom (jupytext + nbclient), so it never rots."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_notebook(monkeypatch) -> str:
    """Execute the notebook; return its printed output (fails on any error cell)."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    notebook = jupytext.read(ROOT / "notebooks" / "acceptance_model.py")
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code"
               for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "ROC AUC" in text and "decided referrals" in text
    return text


@pytest.mark.slow
def test_notebook_on_the_synthetic_history(monkeypatch):
    monkeypatch.delenv("TASHARUK_NOTEBOOK_DATABASE_URL", raising=False)
    assert "synthetic history" in run_notebook(monkeypatch)


@pytest.mark.slow
def test_notebook_on_the_demo_history(monkeypatch, scratch_db):
    """With the demo generator (data.demo) present, the notebook evaluates the demo history."""
    pytest.importorskip("data.demo", reason="the demo generator is not merged yet")
    from sqlalchemy.orm import Session

    from data.db import make_engine
    from data.migrate import upgrade
    from data.io.reference import load_reference

    url = scratch_db("tasharuk_notebook_demo")
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        load_reference(s)
        s.commit()
    engine.dispose()
    monkeypatch.setenv("TASHARUK_NOTEBOOK_DATABASE_URL", url)
    assert "demo history" in run_notebook(monkeypatch)
