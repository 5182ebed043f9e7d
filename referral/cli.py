"""``tasharuk referrals ...``: the expiry job (cron) and data-key rotation."""

from __future__ import annotations

import click
from flask import current_app
from flask_babel import gettext as _

from data.clitools import ErrorMappingGroup
from data.db import db

referrals_cli = ErrorMappingGroup("referrals", help="Referral jobs: expiry, key rotation.")


@referrals_cli.command("expire")
def expire_cmd() -> None:
    """Expire sent referrals not answered in time (run it from cron, e.g. hourly)."""
    from referral.expiry import expire_overdue

    n = expire_overdue(db.session)
    db.session.commit()
    click.echo(f"expired: {n}")


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
