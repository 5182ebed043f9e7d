"""The signed-in user's in-app notifications (referral changes, partnership requests, ...)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav
from ..security import AUTHENTICATED

bp = Blueprint("notifications", __name__, url_prefix="/notifications")



def _unread() -> int:
    """The signed-in user's unread notifications: the entry's count."""
    from flask_login import current_user

    from data.db import db
    from referral.notifications import unread_count

    return unread_count(db.session, current_user.id) if current_user.is_authenticated else 0


nav.add("notifications.index", _l("Notifications"), AUTHENTICATED, order=5, area="account",
        count=_unread)

from . import routes  # noqa: E402,F401
