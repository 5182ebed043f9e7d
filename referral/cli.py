"""``tasharuk referrals ...``: the expiry job (cron) and data-key rotation."""

from __future__ import annotations

import click
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from data.clitools import ErrorMappingGroup
from data.db import db

referrals_cli = ErrorMappingGroup(
    "referrals", help="Referral jobs: expiry, key rotation, erasure of closed referrals.")


@referrals_cli.command("expire")
def expire_cmd() -> None:
    """Expire sent referrals not answered in time (run it from cron, e.g. hourly)."""
    from referral.expiry import expire_overdue

    n = expire_overdue(db.session)
    db.session.commit()
    click.echo(f"expired: {n}")


@referrals_cli.command("erase-closed")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Erase referrals closed more than this many days ago "
                   "(default: TASHARUK_RETENTION_DAYS, 365).")
@click.option("--dry-run", is_flag=True, help="Report what would be erased; change nothing.")
def erase_closed_cmd(days: int | None, dry_run: bool) -> None:
    """Erase the personal data of referrals closed long ago (the statistics stay)."""
    from referral.retention import erase_closed

    days = days or int(current_app.config.get("RETENTION_DAYS", 365))
    report = erase_closed(db.session, days=days, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    text = _("would erase (dry run)") if dry_run else _("erased")
    click.echo(_("%(what)s: %(cases)s, %(referrals)s, %(events)s; closed before %(cutoff)s",
                 what=text, cases=ngettext("%(num)d case", "%(num)d cases", report.cases),
                 referrals=ngettext("%(num)d referral", "%(num)d referrals",
                                    report.referrals),
                 events=ngettext("%(num)d event", "%(num)d events", report.events),
                 cutoff=report.cutoff.date().isoformat()))


@referrals_cli.command("rotate-keys")
def rotate_keys_cmd() -> None:
    """Re-encrypt every stored name, phone and note with the newest key of
    TASHARUK_DATA_KEYS, and encrypt notes a migration without a key left in plain."""
    from referral.crypto import cipher_from_config, rotate_all

    done = rotate_all(db.session, cipher_from_config(current_app.config))
    db.session.commit()
    click.echo(_("re-encrypted rows: cases %(cases)s, referrals %(referrals)s, events "
                 "%(events)s", cases=done["referral_case"], referrals=done["referral"],
                 events=done["referral_event"]))


@referrals_cli.command("new-key")
def new_key_cmd() -> None:
    """Print a new Fernet key to put first in TASHARUK_DATA_KEYS."""
    from referral.crypto import generate_key

    click.echo(generate_key())
