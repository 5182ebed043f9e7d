"""Focal-point routing pages (issue 23): requests for sensitive services, focal points."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from data.models import STAFF_ROLES

from .. import nav

bp = Blueprint("focal", __name__, url_prefix="/focal")

nav.add("focal.index", _l("Focal-point requests"), *STAFF_ROLES, order=6,
        area="account")

from . import routes  # noqa: E402,F401
