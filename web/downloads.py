"""Sending an export (API and the exchange page alike): rate-limited per user and per API
token, built at most once per data version, streamed from its file.

Large exports (``EXPORT_BACKGROUND``, HSDS by default) are never built in a request: the first
call after a change queues an ``exports.cache`` job (``tasharuk worker`` runs it) and answers
202 with ``Retry-After``; the same address downloads the file once the job has built it.

The limits are ``EXPORT_RATE_LIMIT`` per signed-in person and per organisation for its API
tokens together, and ``EXPORT_TOKEN_RATE_LIMIT`` per token; ``EXPORT_SLOTS`` builds
may run at once across all workers (data.io.downloads). Excess answers 429 or 503, both with
``Retry-After``. Checked after sign-in, so the key is the real caller, never an address.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Response, current_app, render_template, send_file
from flask_babel import gettext as _
from flask_babel import ngettext

from data.db import db
from data.errors import RateLimited
from data.io.downloads import (
    BUILD_TASK,
    Export,
    build,
    cache_folder,
    cached_export,
    data_version,
)

from .errors import wants_json
from .extensions import hit, limit_key
from .security import caller

__all__ = ["export_folder", "in_background", "send_export"]

PREPARING_RETRY_AFTER = 30  # seconds: about one national HSDS build by the worker

DEFAULT_USER_LIMIT = "30 per hour"
DEFAULT_TOKEN_LIMIT = "20 per hour"


def export_folder() -> Path:
    """Where built exports are kept (``EXPORT_CACHE``; instance/export-cache by default)."""
    return cache_folder(current_app.config)


def in_background(kind: str) -> bool:
    """True when export ``kind`` is built by a background job (``EXPORT_BACKGROUND``: the
    kinds, comma-separated; HSDS by default), not in the request."""
    kinds = current_app.config.get("EXPORT_BACKGROUND", "hsds,hsds31") or ""
    return kind in {k.strip() for k in kinds.split(",")}


def _check_rate(kind: str) -> None:
    """Count this export against the caller's limits; RateLimited with the wait when over."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    who = caller()
    token_id = getattr(who, "token_id", None)
    keys = [(current_app.config.get("EXPORT_RATE_LIMIT", DEFAULT_USER_LIMIT), limit_key())]
    if token_id is not None:
        keys.append((current_app.config.get("EXPORT_TOKEN_RATE_LIMIT", DEFAULT_TOKEN_LIMIT),
                     f"token:{token_id}"))
    for spec, key in keys:
        if wait := hit(spec, "exports", key):
            raise RateLimited(ngettext("Too many exports: try again in %(num)s second.",
                                       "Too many exports: try again in %(num)s seconds.", wait),
                              details={"retry_after": wait, "limit": spec})


def _open(kind: str, hxl: bool) -> tuple[Export, object]:
    """The built export and its open file (built again if a newer build removed it)."""
    slots = int(current_app.config.get("EXPORT_SLOTS", 1))
    for _attempt in range(2):
        export = build(db.session, export_folder(), kind, hxl=hxl, slots=slots)
        try:
            return export, export.path.open("rb")
        except FileNotFoundError:
            continue
    raise FileNotFoundError(export.path)


def _queue_build(kind: str, hxl: bool) -> None:
    """Queue the job that builds ``kind`` into the cache, unless one is queued or running."""
    from sqlalchemy import text

    from data.queue import REQUEST_ID_ARG, enqueue

    args = {"kind": kind, "hxl": hxl}
    waiting = db.session.scalar(text(
        "SELECT 1 FROM procrastinate_jobs WHERE task_name = :t AND status IN ('todo', 'doing') "
        "AND args - :rid = CAST(:a AS jsonb) LIMIT 1"),  # (whichever request queued it)
        {"t": BUILD_TASK, "a": json.dumps(args), "rid": REQUEST_ID_ARG})
    if not waiting:
        enqueue(db.session, BUILD_TASK, queue="exports", **args)


def preparing(kind: str, hxl: bool) -> Response:
    """202: the export is being built by a job; the same address downloads it when ready."""
    _queue_build(kind, hxl)
    db.session.commit()
    body = {"status": "preparing", "kind": kind, "retry_after": PREPARING_RETRY_AFTER,
            "message": _("The export is being prepared. Open the same address again in a "
                         "minute to download it.")}
    headers = {"Retry-After": str(PREPARING_RETRY_AFTER), "Cache-Control": "no-store"}
    if wants_json():
        return current_app.response_class(current_app.json.dumps(body), status=202,
                                          mimetype="application/json", headers=headers)
    page = render_template("exchange/preparing.html", kind=kind)
    return current_app.response_class(page, status=202, headers=headers)


def send_export(kind: str, *, hxl: bool = True) -> Response:
    """The export as a streamed attachment, with an ETag of its data version; 202 while a
    background job prepares it."""
    _check_rate(kind)
    if in_background(kind):
        ready = cached_export(export_folder(), kind, data_version(db.session), hxl=hxl)
        if ready is None:
            return preparing(kind, hxl)
    export, handle = _open(kind, hxl)
    db.session.commit()  # ends the transaction: releases the build slot before streaming
    resp = send_file(handle, mimetype=export.mime, as_attachment=True,
                     download_name=export.name, conditional=True,
                     etag=f"{export.version}{'' if hxl else '-nohxl'}", max_age=0)
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp
