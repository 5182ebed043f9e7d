"""``tasharuk import 4w|hsds`` and ``tasharuk export hsds|4w|geojson``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from data.clitools import ErrorMappingGroup
from data.db import db
from data.errors import BadInput

import_cli = ErrorMappingGroup("import", help="Import 3W/4W spreadsheets and HSDS data.")
export_cli = ErrorMappingGroup("export", help="Export HSDS 3.0, 4W (HXL) and GeoJSON.")


def _print_report(report, fmt: str, report_csv: Path | None) -> None:
    if report_csv:
        report_csv.write_text(report.to_csv(), encoding="utf-8")
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
    else:
        click.echo(report.table())


@import_cli.command("4w")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--sheet", default=None, help="Worksheet of an XLSX file.")
@click.option("--mapping", type=click.Path(exists=True, path_type=Path), default=None,
              help="JSON {columns, defaults} or CSV column,field for unknown headers.")
@click.option("--period", default=None, help="YYYY-MM for rows without a full date.")
@click.option("--dry-run", is_flag=True, help="Validate and report; change nothing.")
@click.option("--accept-partial", is_flag=True, help="Import the good rows despite rejects.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--report-csv", type=click.Path(path_type=Path), default=None,
              help="Also write the validation report as CSV.")
def import_4w_cmd(file: Path, sheet, mapping, period, dry_run, accept_partial, fmt,
                  report_csv) -> None:
    """Import a 3W/4W FILE (CSV, XLSX, HXL); exit 2 when rows were rejected."""
    from .fourw import import_4w

    try:
        report = import_4w(db.session, file, sheet=sheet, mapping=mapping, period=period,
                           dry_run=dry_run, accept_partial=accept_partial,
                           progress=sys.stderr.isatty())
    except BadInput as exc:
        db.session.rollback()
        report = getattr(exc, "report", None)
        if report is not None:
            _print_report(report, fmt, report_csv)
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
        report.committed = True
    _print_report(report, fmt, report_csv)


@import_cli.command("hsds")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def import_hsds_cmd(path: Path) -> None:
    """Import HSDS 3.0 JSON documents (a folder or one file) of organisations and services."""
    from .hsds import import_hsds

    try:
        counts = import_hsds(db.session, path)
    except BadInput:
        db.session.rollback()
        raise
    db.session.commit()
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@export_cli.command("hsds")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def export_hsds_cmd(folder: Path) -> None:
    """Write HSDS 3.0 JSON documents and the tabular CSV data package to FOLDER."""
    from .hsds import export_hsds

    counts = export_hsds(db.session, folder)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@export_cli.command("4w")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--hxl", is_flag=True, help="Add the HXL hashtag row (CSV); XLSX always has it.")
def export_4w_cmd(file: Path, hxl: bool) -> None:
    """Write every activity as a WoS-template-shaped 4W table (.csv or .xlsx)."""
    from .hxl import export_4w

    n = export_4w(db.session, file, hxl=hxl)
    click.echo(_("%(n)s rows written to %(file)s", n=n, file=file))


@export_cli.command("geojson")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_geojson_cmd(file: Path) -> None:
    """Write services' sites (points) and coverage (areas) as a GeoJSON FeatureCollection."""
    from .geojson import export_geojson

    with file.open("w", encoding="utf-8") as out:
        n = export_geojson(db.session, out)
    click.echo(_("%(n)s features written to %(file)s", n=n, file=file))


def register(app: Flask) -> None:
    """Mount the import/export commands on the app's CLI."""
    app.cli.add_command(import_cli)
    app.cli.add_command(export_cli)
