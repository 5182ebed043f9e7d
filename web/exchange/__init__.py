"""Data exchange pages: 4W upload -> preview of the validation report -> confirm; downloads."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from data.models import READER_ROLES

from .. import nav

bp = Blueprint("exchange", __name__, url_prefix="/exchange")

nav.add("exchange.index", _l("Data exchange"), "platform_admin", "planner",
        *READER_ROLES, order=80)
nav.add("exchange.aliases", _l("Aliases to review"), "platform_admin", order=81)

from . import routes  # noqa: E402,F401
