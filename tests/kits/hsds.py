"""Helpers for HSDS tests: the official JSON schemas of a version as validators (offline,
through a referencing registry over the schema files), a tabular row typed as its schema
says, and an export -> import into an empty database -> export round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.orm import Session

from tests.conftest import shared_path


def validator(name: str, version: str = "hsds-3.0") -> Draft202012Validator:
    """The validator of schema ``name`` (``service``, ``organization``, ...) of ``version``
    (the folder under ``../shared/data/hsds``), with format checks."""
    folder = shared_path("hsds", version, "schema")
    registry = Registry()
    for f in folder.glob("*.json"):
        registry = registry.with_resource(f.name, Resource.from_contents(
            json.loads(f.read_text()), default_specification=DRAFT202012))
    schema = json.loads((folder / f"{name}.json").read_text())
    return Draft202012Validator(schema, registry=registry,
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def typed_row(row: dict[str, str], props: dict) -> dict:
    """A CSV row as the object its table's schema describes: empty cells left out, numbers
    as numbers."""
    obj: dict = {}
    for k, v in row.items():
        if v == "":
            continue
        kind = props[k].get("type")
        obj[k] = int(v) if kind == "integer" else float(v) if kind == "number" else v
    return obj


def round_trip(export: Callable[[Session, Path], object], first: Path, second: Path,
               scratch_db: Callable[[str], str], name: str,
               inspect: Callable[[Session], Any] | None = None) -> Any:
    """Import the documents in ``first`` into a new, empty database (reference data and
    boundaries loaded; organisations verified, as exports show only those), write them again
    with ``export`` into ``second``, and return ``inspect(session)`` of that database."""
    from data.db import make_engine
    from data.io.boundaries import load_boundaries
    from data.io.hsds import import_hsds
    from data.io.reference import load_reference
    from data.migrate import upgrade
    from tests.kits.exports import verify_all

    url = scratch_db(name)
    upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            load_reference(s)
            load_boundaries(s, [shared_path("boundaries", f"syr_adm{n}_cod_ab_20201217.geojson")
                                for n in (1, 2, 3)])
            import_hsds(s, first)
            verify_all(s)
            s.commit()
            export(s, second)
            return inspect(s) if inspect else None
    finally:
        engine.dispose()


def same_documents(first: Path, second: Path) -> None:
    """The service and organisation documents of two exports are byte for byte the same."""
    for sub in ("services", "organizations"):
        a = {p.name: p.read_text() for p in (first / sub).glob("*.json")}
        b = {p.name: p.read_text() for p in (second / sub).glob("*.json")}
        assert a and a == b, sub
