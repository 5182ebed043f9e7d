"""Suggested partners, partnership requests, duplication alerts and the partnership map."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from data.models import READER_ROLES

from .. import nav

bp = Blueprint("partners", __name__, url_prefix="/partners")

nav.add("partners.index", _l("Partners"), *READER_ROLES, "planner",
        "platform_admin", order=60)
nav.add("partners.area_duplication", _l("Duplication"), "planner", "platform_admin", order=61)

from . import routes  # noqa: E402,F401
