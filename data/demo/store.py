"""The database edge of the demo generator: read areas and taxonomy, reserve ids, COPY rows.

Rows are written with PostgreSQL ``COPY ... FROM STDIN`` (psycopg 3) on the session's own
connection, so they belong to the caller's transaction and roll back with it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..errors import BadInput
from .generate import Geography, Taxonomy

__all__ = ["copy_frame", "deferred_constraints", "deferred_gin_indexes", "raw_cursor",
           "read_geography", "read_taxonomy", "reserve_ids"]

CHUNK_ROWS = 50_000


def read_geography(session: Session) -> Geography:
    """Governorates (with centroids), districts and the sub-districts that have polygons."""
    rows = session.execute(text(
        "SELECT pcode, level, parent_pcode, name_ar, name_en, population, "
        "ST_X(centroid) AS lon, ST_Y(centroid) AS lat, "
        "CASE WHEN level = 3 THEN ST_AsBinary(geom) END AS wkb "
        "FROM admin_area WHERE level BETWEEN 1 AND 3 ORDER BY pcode")).all()
    frame = pd.DataFrame(rows, columns=["pcode", "level", "parent", "name_ar", "name_en",
                                        "population", "lon", "lat", "wkb"])
    govs = frame[frame["level"] == 1].reset_index(drop=True)
    govs = govs[["pcode", "name_ar", "name_en", "population", "lon", "lat"]]
    if govs["lon"].isna().any():
        missing = govs.loc[govs["lon"].isna(), "pcode"].tolist()
        raise BadInput(f"governorates without a centroid: {missing}; run `tasharuk load "
                       "reference` first.", field="admin_area.centroid")
    dists = frame[frame["level"] == 2].reset_index(drop=True)
    dists = dists.assign(gov=dists["parent"].fillna(dists["pcode"].str[:4]))
    subs = frame[(frame["level"] == 3) & frame["wkb"].notna()].reset_index(drop=True)
    district_gov = dict(zip(dists["pcode"], dists["gov"], strict=True))
    subs = subs[subs["parent"].isin(district_gov)].reset_index(drop=True)
    subs = subs.assign(district=subs["parent"], gov=subs["parent"].map(district_gov))
    subs = subs[subs["gov"].isin(set(govs["pcode"]))].reset_index(drop=True)
    geoms = (shapely.from_wkb([bytes(b) for b in subs["wkb"]]) if len(subs)
             else np.empty(0, dtype=object))
    return Geography(govs=govs,
                     districts=dists[["pcode", "gov", "name_ar", "name_en"]],
                     subs=subs[["pcode", "district", "gov", "name_ar", "name_en"]],
                     sub_geoms=np.asarray(geoms, dtype=object))


def read_taxonomy(session: Session) -> Taxonomy:
    """Service types and target-group codes, in code order."""
    types = pd.DataFrame(session.execute(text(
        "SELECT code, sector_code, name_ar, name_en, keywords_ar, keywords_en, sensitive, "
        "activity_codes FROM service_type ORDER BY code")).all(),
        columns=["code", "sector_code", "name_ar", "name_en", "keywords_ar", "keywords_en",
                 "sensitive", "activity_codes"])
    groups = list(session.scalars(text("SELECT code FROM target_group ORDER BY code")))
    if types.empty or not groups:
        raise BadInput("no service taxonomy in the database; run `tasharuk load reference` "
                       "first.", field="service_type")
    return Taxonomy(types=types, target_groups=groups)


def raw_cursor(session: Session):
    """A psycopg cursor on the session's connection (same transaction)."""
    return session.connection().connection.driver_connection.cursor()


def reserve_ids(cur, table: str, n: int) -> int:
    """Reserve ``n`` consecutive ids of ``table``'s sequence; return the first.

    Assumes no concurrent inserts into ``table`` (true for the loader's own transaction).
    """
    if n <= 0:
        return 0
    cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
    seq = cur.fetchone()[0]
    cur.execute("SELECT nextval(%s)", (seq,))
    start = cur.fetchone()[0]
    cur.execute("SELECT setval(%s, %s)", (seq, start + n - 1))
    return int(start)


def copy_frame(cur, table: str, frame: pd.DataFrame,
               advance: Callable[[int], object] | None = None) -> int:
    """COPY ``frame`` (columns named as the table's) into ``table``; NULL is ``\\N``."""
    if frame.empty:
        return 0
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    sql = f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with cur.copy(sql) as copy:
        for start in range(0, len(frame), CHUNK_ROWS):
            part = frame.iloc[start:start + CHUNK_ROWS]
            buf = io.StringIO()
            part.to_csv(buf, index=False, header=False, na_rep="\\N")
            copy.write(buf.getvalue())
            if advance is not None:
                advance(len(part))
    return len(frame)


@contextmanager
def deferred_gin_indexes(cur, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the GIN (trigram / full-text) indexes of ``tables`` and rebuild them afterwards.

    Building a GIN index once over all rows is several times faster than inserting 100,000
    rows into it one by one. The definitions come from the catalogue, so they stay exactly
    what the migrations made; everything happens in the caller's transaction.
    """
    cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                "current_schema() AND tablename = ANY(%s) AND indexdef ILIKE %s",
                (list(tables), "% USING gin %"))
    indexes = cur.fetchall()
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    yield
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        cur.execute(definition)


@contextmanager
def deferred_constraints(cur, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the foreign keys of ``tables`` and add them back (validated) afterwards.

    PostgreSQL checks a foreign key row by row during COPY; adding it back checks all rows in
    one join, several times faster for a bulk load ("Populating a Database" in its manual).
    The definitions come from the catalogue; everything happens in the caller's transaction,
    so a failed check rolls the whole load back.
    """
    cur.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) "
                "ORDER BY 1, 2", (list(tables),))
    keys = cur.fetchall()
    for table, name, _ in keys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    for table, name, definition in keys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
