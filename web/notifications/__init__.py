"""The signed-in user's in-app notifications (referral changes, partnership requests, ...)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav
from ..security import AUTHENTICATED

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

nav.add("notifications.index", _l("Notifications"), AUTHENTICATED, order=5, area="account")

from . import routes  # noqa: E402,F401
