"""Notification pages. Views parse input, call one use case, render; the request commits."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from data.db import db
from data.errors import BadInput
from referral.notifications import PAGE, list_notifications, mark_all_read, unread_count

from ..security import AUTHENTICATED, allow, principal
from . import bp


def _offset() -> int:
    raw = request.args.get("offset", "0")
    if not raw.isdigit() or int(raw) > 10**6:
        raise BadInput(_("offset must be a whole number."), field="offset")
    return int(raw)


@bp.get("/")
@allow(AUTHENTICATED)
def index():
    """The user's notifications, newest first; unread ones marked new."""
    user_id = principal().id
    offset = _offset()
    items = list_notifications(db.session, user_id, limit=PAGE, offset=offset)
    return render_template("notifications/index.html", items=items,
                           unread=unread_count(db.session, user_id), offset=offset,
                           more=len(items) == PAGE, page=PAGE)


@bp.post("/read")
@allow(AUTHENTICATED)
def read():
    """Mark every notification read."""
    mark_all_read(db.session, principal().id)
    db.session.commit()
    return redirect(url_for("notifications.index"))
