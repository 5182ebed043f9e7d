"""``tasharuk gaps``: the ranked gap table, optionally a map."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from data.clitools import ErrorMappingGroup
from data.db import db

FIELDS = ("rank", "pcode", "name_en", "people_in_need", "severity", "organizations",
          "services", "capacity", "reached", "coverage", "declined_referrals",
          "unmet_searches", "gap_score")




def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 10 else f"{value:,.0f}"
    return str(value)


@click.command("gaps")
@click.option("--level", type=click.Choice(["1", "2", "3"]), default="3", show_default=True)
@click.option("--sector", default=None, help="Sector code (includes its sub-sectors).")
@click.option("--service", default=None, help="Service type code.")
@click.option("--group", default=None, help="Target group code.")
@click.option("--period", default=None, help="YYYY or YYYY-MM.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--limit", type=int, default=0, help="Only the N largest gaps (table format).")
@click.option("--map", "map_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the map as a standalone HTML file.")
@with_appcontext
def gaps_cmd(level: str, sector: str | None, service: str | None, group: str | None,
             period: str | None, fmt: str, limit: int, map_path: Path | None) -> None:
    """Coverage gaps per area, ranked: areas with need and no presence first, then by score."""
    from planning.gaps import gap_map_html, gap_table, parse_selection, table_csv, table_records

    selection = parse_selection({"level": level, "sector": sector, "service": service,
                                 "group": group, "period": period})
    table = gap_table(db.session, selection)
    if fmt == "csv":
        click.echo(table_csv(table, "en").lstrip("\ufeff"), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(table_records(table), ensure_ascii=False))
    else:
        rows = table_records(table.head(limit) if limit else table)
        click.echo("\t".join(FIELDS))
        for row in rows:
            click.echo("\t".join(_cell(row[f]) for f in FIELDS))
    if map_path is not None:
        html = gap_map_html(db.session, selection, table, standalone=True,
                            tiles_url=current_app.config.get("TILES_URL", ""))
        map_path.write_text(html, encoding="utf-8")
        click.echo(f"map written to {map_path} ({len(html.encode()) // 1024} KB)", err=True)


@click.group("notebooks", cls=ErrorMappingGroup)
def notebooks_cli() -> None:
    """The planners' notebooks: execute them on this site's data (read-only) for the page."""


@notebooks_cli.command("run")
@click.argument("names", nargs=-1)
@with_appcontext
def notebooks_run(names: tuple[str, ...]) -> None:
    """Execute NAMES (default: every notebook) on the site's database in read-only
    transactions; the page then shows their outputs and offers the executed .ipynb."""
    from planning.notebook_run import NotebookFailed, execute_all

    try:
        executed = execute_all(current_app.config, list(names))
    except NotebookFailed as exc:
        raise click.ClickException(str(exc)) from None
    for done in executed:
        click.echo(f"{done.name}: {done.html} ({done.executed_at:%Y-%m-%d %H:%M} UTC)")
