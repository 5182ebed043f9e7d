"""Per-request hooks: a request id (the proxy's ``X-Request-ID`` or a new one) that reaches the
response, the audit log and the log line; one JSON log line a request; the request metrics.

The line names the route, never the path's query or any form value, user, e-mail or address:
logs leave the platform's access control, so they carry no personal data.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from data import requestid

from .metrics import observe_request

__all__ = ["LOGGER", "init_app"]

LOGGER = logging.getLogger("tasharuk.request")
HEADER = "X-Request-ID"


def _start() -> None:
    g_ = g._get_current_object()  # type: ignore[attr-defined]
    g_.request_started = time.perf_counter()
    given = request.headers.get(HEADER)
    rid = given if requestid.valid(given) else requestid.new_id()
    g_.request_id = rid
    requestid.set_current(rid)


def _finish(response: Response) -> Response:
    g_ = g._get_current_object()  # type: ignore[attr-defined]
    rid = g_.get("request_id")
    if rid:
        response.headers[HEADER] = rid
    started = g_.get("request_started")
    if started is None:
        return response
    seconds = time.perf_counter() - started
    req = request._get_current_object()  # type: ignore[attr-defined]
    route = req.endpoint or "unmatched"
    observe_request(req.method, route, response.status_code, seconds)
    if LOGGER.isEnabledFor(logging.INFO):
        rule = req.url_rule.rule if req.url_rule is not None else None
        LOGGER.info("request", extra={"fields": {
            "event": "request", "request_id": rid, "method": req.method,
            "route": route, "rule": rule, "status": response.status_code,
            "ms": round(seconds * 1000, 2), "bytes": response.calculate_content_length()}})
    return response


def _clear(exc: BaseException | None) -> None:
    requestid.set_current(None)


def init_app(app: Flask) -> None:
    """Register the hooks first, so the log line and metrics see the final response."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
    app.teardown_request_funcs.setdefault(None, []).append(_clear)
