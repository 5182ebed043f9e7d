"""Referral pages: create (from a service page or search result), inbox and outbox, the case
page with its timeline and transition buttons, multi-need bundles, the printable form."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from data.models import READER_ROLES, STAFF_ROLES

from .. import nav

bp = Blueprint("referrals", __name__, url_prefix="/referrals", static_folder="static",
               static_url_path="/static")


def _to_answer() -> int:
    """Received referrals waiting for an answer: the inbox entry's count."""
    from flask_login import current_user

    from data.db import db
    from referral.queue import new_count

    org_id = getattr(current_user, "organization_id", None)
    return new_count(db.session, org_id) if org_id else 0


nav.add("referrals.inbox", _l("Referrals received"), *READER_ROLES,
        order=30, count=_to_answer)
nav.add("referrals.outbox", _l("Referrals sent"), *READER_ROLES,
        order=31)
nav.add("referrals.bundle", _l("Several needs"), *STAFF_ROLES, order=32)
nav.add("referrals.glass_list", _l("Break-the-glass review"), "org_admin", order=33)

from . import routes  # noqa: E402,F401
