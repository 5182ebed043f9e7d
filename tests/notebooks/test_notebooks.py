"""Every notebook runs top to bottom against a scratch database (so it never rots)."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.py"))


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, scratch_db, shared, monkeypatch, tmp_path):
    import jupytext
    from nbclient import NotebookClient

    shared("boundaries", "syr_adm3_cod_ab_20201217.geojson")
    shared("needs", "hno2023_sector_pin_admin3.csv")
    shared("4w", "prot.csv")
    url = scratch_db(f"tasharuk_nb_{path.stem}")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TASHARUK_NOTEBOOK_OUTPUT", str(tmp_path))
    notebook = jupytext.read(path)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent.parent)}}).execute()
    outputs = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                      for cell in notebook.cells if cell.cell_type == "code"
                      for o in cell.get("outputs", []))
    if path.stem == "protection_gaps":
        assert "SY140003, SY140201" in outputs  # the inter-sector sheet's known gap
        assert "272 sub-districts" in outputs
        assert (tmp_path / "protection_gaps_level3.html").stat().st_size < 3_000_000
        assert "need_without_presence" in outputs
