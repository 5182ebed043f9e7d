"""The home page: governorates with their organisations and services."""

from __future__ import annotations

from flask import redirect, render_template, request, send_from_directory, session, url_for

from data.db import db
from data.models import READER_ROLES
from network.overview import governorate_summary, platform_totals

from ..security import PUBLIC, allow
from . import bp


@bp.get("/")
@allow(PUBLIC)
def index():
    """A signed-in organisation member's work queue; otherwise the national overview."""
    from flask_login import current_user

    org_id = getattr(current_user, "organization_id", None)
    if current_user.is_authenticated and org_id and current_user.role in READER_ROLES:
        from referral.queue import RECENT_DAYS, work_queue

        return render_template("main/queue.html", queue=work_queue(db.session, org_id),
                               recent_days=RECENT_DAYS)
    rows = governorate_summary(db.session)
    totals = platform_totals(db.session)
    return render_template("main/index.html", rows=rows, totals=totals)


@bp.get("/lang/<code>")
@allow(PUBLIC)
def set_language(code: str):
    """Switch the interface language and go back where the user was."""
    if code in ("ar", "en"):
        session["lang"] = code
    target = request.args.get("next") or url_for("main.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)


@bp.get("/vendor/leaflet/<path:filename>")
@allow(PUBLIC)
def leaflet_asset(filename: str):
    """Leaflet's JS, CSS and images from the XStatic-Leaflet package (no CDN)."""
    import xstatic.pkg.leaflet as leaflet

    return send_from_directory(leaflet.BASE_DIR, filename, max_age=86400)

