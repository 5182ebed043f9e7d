"""The signed-in user's in-app notifications (forum follows, mentions, library topics...)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
nav.add("notifications.index", _l("Notifications"), "authenticated", order=90, area="account")

from . import routes  # noqa: E402,F401
