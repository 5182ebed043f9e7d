"""``tasharuk directory ...``: directory maintenance from the command line (cron)."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask

from data.clitools import ErrorMappingGroup
from data.db import db

directory_cli = ErrorMappingGroup("directory", help="Service directory maintenance.")


@directory_cli.command("remind-stale")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Pretend today is this date (YYYY-MM-DD).")
def remind_stale_cmd(today: dt.datetime | None) -> None:
    """Remind organisation admins of listings not verified for 180 days (once a week)."""
    from .directory import remind_stale

    counts = remind_stale(db.session, today.date() if today else None)
    db.session.commit()
    click.echo(f"organisations with stale listings: {counts['organizations']}, "
               f"people notified: {counts['notified']}")


@directory_cli.command("refresh-ranking")
def refresh_ranking_cmd() -> None:
    """Recompute the referral-outcome terms of the search ranking (cron: e.g. nightly)."""
    from .ranking import refresh_ranking

    counts = refresh_ranking(db.session)
    db.session.commit()
    click.echo(f"services: {counts['services']}, source: {counts['source']}, "
               f"new providers (cold start): {counts['cold_start']}")


@directory_cli.command("refresh-search-text")
def refresh_search_text_cmd() -> None:
    """Rebuild the words every organisation and service is found by (data.searchtext)."""
    from data.searchtext import refresh_all

    counts = refresh_all(db.session)
    db.session.commit()
    click.echo(f"texts rebuilt: organisations {counts['organizations']}, "
               f"services {counts['services']}")


@directory_cli.command("refresh-search-rows")
def refresh_search_rows_cmd() -> None:
    """Rewrite the sites' and coverage rows' copies of their services' values where they
    differ (after a load or restore that bypassed the triggers; normally none)."""
    from data.searchrows import refresh_search_rows

    stale = refresh_search_rows(db.session)
    db.session.commit()
    click.echo(f"search rows rewritten: sites {stale['service_site']}, "
               f"coverage {stale['service_coverage']}")


def register(app: Flask) -> None:
    """Mount the directory commands on the app's CLI."""
    app.cli.add_command(directory_cli)
