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
# It runs against `DATABASE_URL` (the tests point it at a scratch database) and reads the
# public files from `TASHARUK_SHARED_DATA` (default `../shared/data`).

# %%
import os
from pathlib import Path

from sqlalchemy.orm import Session

from data.db import make_engine
from data.migrate import upgrade

ROOT = Path.cwd() if (Path.cwd() / "app.py").exists() else Path.cwd().parent
SHARED = Path(os.environ.get("TASHARUK_SHARED_DATA", ROOT.parent / "shared" / "data"))
OUTPUT = Path(os.environ.get("TASHARUK_NOTEBOOK_OUTPUT", ROOT / "instance"))
OUTPUT.mkdir(parents=True, exist_ok=True)
url = os.environ.get("DATABASE_URL")
if not url:
    from data.cluster import database_url

    url = database_url()
upgrade(url)
engine = make_engine(url)
session = Session(engine)

# %% [markdown]
# ## 1. Boundaries and reference data
# The OCHA COD-AB layers give 14 governorates, 62 districts and 272 sub-districts.

# %%
from data.io.boundaries import load_boundaries
from data.io.reference import load_reference

load_reference(session)
counts = load_boundaries(session, [SHARED / "boundaries" / f"syr_adm{n}_cod_ab_20201217.geojson"
                                   for n in (1, 2, 3)])
session.commit()
counts

# %% [markdown]
# ## 2. People in need (OCHA 2023 HNO)
# The sector sheet gives PiN and severity per sub-district for each cluster, protection and its
# sub-sectors (child protection, GBV, mine action) included. The inter-sector sheet lacks two
# Quneitra sub-districts: the loader reports them.

# %%
from data.io.needs import load_needs

sector_report = load_needs(session, SHARED / "needs" / "hno2023_sector_pin_admin3.csv")
inter_report = load_needs(session, SHARED / "needs" /
                          "hno2023_intersector_severity_pin_admin3.csv")
session.commit()
print(sector_report.summary())
print(inter_report.summary())

# %% [markdown]
# ## 3. Who does what where (4W)
# The protection 4W of Northwest Syria (January-February 2023), imported with the project's
# importer (`data.io.fourw`): organisations and activity codes resolved, people reached where
# the cluster's own analysis unit counts people, and every row that cannot be resolved listed
# in the report.

# %%
from data.io.fourw import import_4w

prot = SHARED / "4w" / "prot.csv"
report = import_4w(session, prot, accept_partial=True)
print(report)
session.commit()

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
gaps = compute_gaps(data, level=3, sector="protection")
print(f"{len(gaps)} sub-districts; {int(gaps['need_without_presence'].sum())} with people "
      f"in need and no protection actor reporting")

# %% [markdown]
# ## 5. The map
# A standalone HTML file: Leaflet is inlined, so it opens without a network connection.

# %%
from planning.gaps import gap_map_html
from matching.gaps import GapSelection

html = gap_map_html(session, GapSelection(level=3, sector="protection"), gaps, standalone=True,
                    title="Protection gaps by sub-district")
map_file = OUTPUT / "protection_gaps_level3.html"
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
