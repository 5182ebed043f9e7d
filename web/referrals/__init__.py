"""Referral pages: create (from a service page or search result), inbox and outbox, the case
page with its timeline and transition buttons, multi-need bundles, the printable form."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("referrals", __name__, url_prefix="/referrals")

nav.add("referrals.inbox", _l("Referrals received"), "org_admin", "caseworker", "viewer",
        order=30)
nav.add("referrals.outbox", _l("Referrals sent"), "org_admin", "caseworker", "viewer",
        order=31)
nav.add("referrals.bundle", _l("Several needs"), "org_admin", "caseworker", order=32)

from . import routes  # noqa: E402,F401
