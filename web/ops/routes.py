"""``/healthz`` (the process is alive), ``/readyz`` (ready to serve) and ``/metrics``."""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request
from flask_babel import gettext as _

from data.db import db
from data.errors import Forbidden
from data.queue import queue_stats
from data.readiness import check_all

from ..security import PUBLIC, allow
from . import bp
from .metrics import CONTENT_TYPE_LATEST, exposition

RETRY_AFTER_S = 5


@bp.get("/healthz")
@allow(PUBLIC)
def healthz():
    """Liveness: the process answers (the database is /readyz's business)."""
    return {"status": "ok"}


@bp.get("/readyz")
@allow(PUBLIC)
def readyz():
    """Readiness: the database and the job queue are ready, else 503; the read replicas'
    verdicts are shown (a replica that is down is skipped, so it never makes a 503)."""
    checks = check_all(db.session)
    body: dict = {"checks": checks}
    if db.replicas is not None:  # (reads fall back to the primary: never a reason for 503)
        body["replicas"] = [{k: r[k] for k in ("usable", "lag_s", "error")}
                            for r in db.replicas.status()]
    if all(v == "ok" for v in checks.values()):
        return {"status": "ok", **body}
    return {"status": "unavailable", **body}, 503, {"Retry-After": str(RETRY_AFTER_S)}


@bp.get("/metrics")
@allow(PUBLIC)
def metrics():
    """Prometheus metrics, for the configured networks or the bearer of the metrics token."""
    if not _may_scrape():
        raise Forbidden(_("Metrics are only served to the monitoring network or token."))
    try:
        stats = queue_stats(db.session)
    except Exception:  # noqa: BLE001 - the app's own metrics still answer without the database
        current_app.logger.warning("metrics: the job queue's figures could not be read")
        db.session.rollback()
        stats = None
    replicas = db.replicas.status() if db.replicas is not None else None
    return exposition(stats, replicas), 200, {"Content-Type": CONTENT_TYPE_LATEST,
                                    "Cache-Control": "no-store"}


def _may_scrape() -> bool:
    token = current_app.config.get("METRICS_TOKEN", "")
    header = request.headers.get("Authorization", "")
    if token and header.lower().startswith("bearer ") and hmac.compare_digest(
            header[7:].strip().encode(), token.encode()):
        return True
    proxied = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    if proxied and "werkzeug.proxy_fix.orig" not in request.environ:
        return False  # through a proxy the app was not told to trust: the address is the proxy's
    try:
        addr = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(addr in net for net in current_app.config["METRICS_NETWORKS"])
