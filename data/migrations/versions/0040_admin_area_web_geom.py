"""admin_area.geom_web: each area's polygon simplified once for the web map (0.02°, topology
kept), kept by PostgreSQL beside ``geom``

Revision ID: 0040_admin_area_web_geom
Revises: 0039_pathway_requests
Create Date: 2026-12-06 23:00:00

Why (issue 21): the gap map simplified every polygon of its level on each request
(ST_SimplifyPreserveTopology, ~0.2 s of database CPU at sub-district level); a generated column
is computed when a boundary is loaded or changed and never goes stale.
"""
from alembic import op

revision = '0040_admin_area_web_geom'
down_revision = '0039_pathway_requests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE admin_area ADD COLUMN geom_web geometry(Geometry, 4326) "
               "GENERATED ALWAYS AS (ST_SimplifyPreserveTopology(geom, 0.02)) STORED")


def downgrade() -> None:
    op.drop_column("admin_area", "geom_web")
