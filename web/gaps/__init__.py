"""Planners' gap dashboard: filters, a choropleth of the gap score, the ranked table, exports."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("gaps", __name__, url_prefix="/gaps")

# Who may see gap analyses: aggregates only (no case data), for planning.
GAP_ROLES = ("planner", "platform_admin", "org_admin")

nav.add("gaps.dashboard", _l("Coverage gaps"), *GAP_ROLES, order=40)

from . import routes  # noqa: E402,F401
