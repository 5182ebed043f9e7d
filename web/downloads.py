"""Sending an export (API and the exchange page alike): rate-limited per user and per API
token, built at most once per data version, streamed from its file.

The limits are ``EXPORT_RATE_LIMIT`` per signed-in person and per organisation for its API
tokens together, and ``EXPORT_TOKEN_RATE_LIMIT`` per token; ``EXPORT_SLOTS`` builds
may run at once across all workers (data.io.downloads). Excess answers 429 or 503, both with
``Retry-After``. Checked after sign-in, so the key is the real caller, never an address.
"""

from __future__ import annotations

import time
from pathlib import Path

from flask import Response, current_app, send_file
from flask_babel import ngettext
from limits import parse

from data.db import db
from data.errors import RateLimited
from data.io.downloads import Export, build

from .extensions import limiter
from .security import caller

__all__ = ["export_folder", "send_export"]

DEFAULT_USER_LIMIT = "30 per hour"
DEFAULT_TOKEN_LIMIT = "20 per hour"


def export_folder() -> Path:
    """Where built exports are kept (``EXPORT_CACHE``; instance/exports by default)."""
    folder = current_app.config.get("EXPORT_CACHE")
    if folder:
        return Path(folder)
    from data.cluster import INSTANCE

    return INSTANCE / "exports"


def _check_rate(kind: str) -> None:
    """Count this export against the caller's limits; RateLimited with the wait when over."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    who = caller()
    token_id = getattr(who, "token_id", None)
    # a person by their account; a token (which has no person) counts with its organisation's
    # other tokens, so minting tokens does not multiply the allowance
    owner = f"user:{who.id}" if token_id is None else f"org:{who.organization_id}"
    keys = [(current_app.config.get("EXPORT_RATE_LIMIT", DEFAULT_USER_LIMIT), owner)]
    if token_id is not None:
        keys.append((current_app.config.get("EXPORT_TOKEN_RATE_LIMIT", DEFAULT_TOKEN_LIMIT),
                     f"token:{token_id}"))
    strategy = limiter.limiter
    for spec, key in keys:
        item = parse(spec)
        if not strategy.hit(item, "exports", key):
            reset, _remaining = strategy.get_window_stats(item, "exports", key)
            wait = max(1, int(reset - time.time()) + 1)
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


def send_export(kind: str, *, hxl: bool = True) -> Response:
    """The export as a streamed attachment, with an ETag of its data version."""
    _check_rate(kind)
    export, handle = _open(kind, hxl)
    db.session.commit()  # ends the transaction: releases the build slot before streaming
    resp = send_file(handle, mimetype=export.mime, as_attachment=True,
                     download_name=export.name, conditional=True,
                     etag=f"{export.version}{'' if hxl else '-nohxl'}", max_age=0)
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp
