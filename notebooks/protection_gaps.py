# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Protection gaps by sub-district — a planner's walkthrough
#
# Where are protection services missing relative to people in need, and where do referrals
# fail? This notebook loads the official boundaries, the OCHA 2023 HNO needs and a 4W file
# into a database, computes the protection gaps by sub-district, draws the map and lists the
# ten worst gaps.
#
# It runs in one of two ways:
#
# - **on the site's own data, read-only**, when `TASHARUK_NOTEBOOK_READONLY_URL` names the
#   product's database (`tasharuk notebooks run` and the nightly job set it): every
#   transaction is read-only, nothing is loaded, the figures are the site's;
# - **as a walkthrough on a scratch database** otherwise: `DATABASE_URL` (the tests point it
#   at a scratch database) is migrated and loaded with the public files from
#   `TASHARUK_SHARED_DATA` (default `../shared/data`).

# %%
import os
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.db import make_engine, read_only_engine
from data.models import Activity, AdminArea, Need, Service

ROOT = Path.cwd() if (Path.cwd() / "app.py").exists() else Path.cwd().parent
SHARED = Path(os.environ.get("TASHARUK_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUTPUT = Path(os.environ.get("TASHARUK_NOTEBOOK_OUTPUT", ROOT / "instance"))
OUTPUT.mkdir(parents=True, exist_ok=True)
url = os.environ.get("TASHARUK_NOTEBOOK_READONLY_URL")
READ_ONLY = bool(url)
if READ_ONLY:
    engine = read_only_engine(url)
else:
    from data.migrate import upgrade

    url = os.environ.get("DATABASE_URL")
    if not url:
        from data.cluster import database_url

        url = database_url()
    upgrade(url)
    engine = make_engine(url)
session = Session(engine)


def count(model) -> int:
    """Rows of a table (what the site's data holds)."""
    return session.scalar(select(func.count()).select_from(model))


print("the site's data, read-only" if READ_ONLY else "a walkthrough on a scratch database")

# %% [markdown]
# ## 1. Boundaries and reference data
# The OCHA COD-AB layers give 14 governorates, 62 districts and 272 sub-districts.

# %%
from data.io.boundaries import load_boundaries
from data.io.reference import load_reference

if not READ_ONLY:
    load_reference(session)
    load_boundaries(session, [SHARED / "boundaries" / f"syr_adm{n}_cod_ab_20201217.geojson"
                              for n in (1, 2, 3)])
    session.commit()
counts = dict(session.execute(select(AdminArea.level, func.count()).group_by(AdminArea.level)
                              .order_by(AdminArea.level)).all())
counts

# %% [markdown]
# ## 2. People in need (OCHA 2023 HNO)
# The sector sheet gives PiN and severity per sub-district for each cluster, protection and its
# sub-sectors (child protection, GBV, mine action) included. The inter-sector sheet lacks two
# Quneitra sub-districts: the loader reports them.

# %%
from data.io.needs import load_needs

if not READ_ONLY:
    sector_report = load_needs(session, SHARED / "needs" / "hno2023_sector_pin_admin3.csv")
    inter_report = load_needs(session, SHARED / "needs" /
                              "hno2023_intersector_severity_pin_admin3.csv")
    session.commit()
    print(sector_report.summary())
    print(inter_report.summary())
periods = session.scalars(select(Need.period).distinct().order_by(Need.period)).all()
print(f"{count(Need)} needs rows; periods: {', '.join(periods) or 'none'}")

# %% [markdown]
# ## 3. Who does what where (4W)
# The protection 4W of Northwest Syria (January-February 2023), imported with the project's
# importer (`data.io.fourw`): organisations and activity codes resolved, people reached where
# the cluster's own analysis unit counts people, and every row that cannot be resolved listed
# in the report.

# %%
from data.io.fourw import import_4w

if not READ_ONLY:
    prot = SHARED / "4w" / "prot.csv"
    report = import_4w(session, prot, accept_partial=True)
    print(report)
    session.commit()
print(f"{count(Activity)} 4W activity rows; {count(Service)} services in the directory")

# %% [markdown]
# ## 4. Protection gaps by sub-district
# `gap_score = 100 × severity/5 × (0.8 × (1 − coverage) + 0.2 × F/(F + 5))`, where coverage is
# `min(served / PiN, 1)`, served is `max(reached, capacity × months)` and F counts referrals
# declined for lack of capacity (or closed unmet) plus searches that found nothing.
# Sub-districts with need and no organisation present come first.

# %%
from data.gapdata import load_gap_inputs
from matching.gaps import compute_gaps

data = load_gap_inputs(session)
LEVEL = max(counts, default=3)  # sub-districts, or the finest level the site has
gaps = compute_gaps(data, level=LEVEL, sector="protection")
unit = {1: "governorates", 2: "districts", 3: "sub-districts"}[LEVEL]
print(f"{len(gaps)} {unit}; {int(gaps['need_without_presence'].sum())} with people "
      f"in need and no protection actor reporting")

# %% [markdown]
# The largest gap scores as a figure:

# %%
import base64
from html import escape

from IPython.display import HTML


def bars(frame, label: str, value: str, title: str, width: int = 640) -> HTML:
    """A horizontal bar chart: an SVG image inline (no plotting library, nothing fetched)."""
    rows = frame[[label, value]].dropna()
    top = float(rows[value].max() or 1) if len(rows) else 1.0
    height = 24 * len(rows) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">']
    for i, (name, score) in enumerate(rows.itertuples(index=False)):
        y, w = 5 + 24 * i, (width - 260) * float(score) / top
        parts.append(f'<text x="0" y="{y + 15}">{escape(str(name)[:28])}</text>'
                     f'<rect x="200" y="{y}" width="{w:.1f}" height="18" fill="#2f6f8f"/>'
                     f'<text x="{205 + w:.1f}" y="{y + 15}">{float(score):.1f}</text>')
    svg = base64.b64encode(("".join(parts) + "</svg>").encode()).decode()
    return HTML(f'<img class="figure" alt="{escape(title)}" width="{width}" height="{height}" '
                f'src="data:image/svg+xml;base64,{svg}">')


bars(gaps.head(10), "name_en", "gap_score", "The ten largest protection gap scores")

# %% [markdown]
# ## 5. The map
# A standalone HTML file: Leaflet is inlined, so it opens without a network connection.

# %%
from planning.gaps import gap_map_html
from matching.gaps import GapSelection

html = gap_map_html(session, GapSelection(level=LEVEL, sector="protection"), gaps,
                    standalone=True, title=f"Protection gaps by {unit[:-1]}")
map_file = OUTPUT / f"protection_gaps_level{LEVEL}.html"
map_file.write_text(html, encoding="utf-8")
print(f"map: {map_file} ({len(html.encode()) / 1e6:.2f} MB)")

# %% [markdown]
# ## 6. The ten worst gaps

# %%
worst = gaps.head(10)[["rank", "pcode", "name_en", "name_ar", "people_in_need", "severity",
                       "organizations", "reached", "coverage", "gap_score",
                       "need_without_presence"]]
worst

# %% [markdown]
# And the ten worst among the sub-districts where someone is present (coverage too low):

# %%
gaps[~gaps["need_without_presence"]].head(10)[["pcode", "name_en", "people_in_need",
                                               "organizations", "reached", "coverage",
                                               "gap_score"]]

# %%
session.close()
engine.dispose()
