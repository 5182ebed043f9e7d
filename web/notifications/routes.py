"""List the user's notifications; mark them read."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from data.db import db
from referral import inbox

from ..security import AUTHENTICATED, allow, principal
from . import bp
from .forms import MarkReadForm


def _safe_link(link: str) -> str | None:
    """Only links inside the app are shown as links."""
    return link if link.startswith("/") and not link.startswith("//") else None


@bp.get("/")
@allow(AUTHENTICATED)
def index():
    """The newest notifications of the signed-in user."""
    user_id = principal().id
    items = inbox.latest(db.session, user_id)
    return render_template("notifications/index.html", items=items, link=_safe_link,
                           unread=inbox.unread_count(db.session, user_id),
                           form=MarkReadForm())


@bp.post("/read")
@allow(AUTHENTICATED)
def mark_read():
    """Mark every notification of the signed-in user read."""
    if MarkReadForm().validate_on_submit():
        inbox.mark_all_read(db.session, principal().id)
        db.session.commit()
        flash(_("All notifications are marked read."))
    return redirect(url_for("notifications.index"))
