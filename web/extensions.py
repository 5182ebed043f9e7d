"""Extensions, created unbound and bound in the factory."""

from __future__ import annotations

import functools

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[],
                  storage_uri=None, strategy="fixed-window")


@limiter.request_filter
def _limits_off() -> bool:
    """``RATELIMIT_ENABLED`` is read per request, so one app (or test) can switch it."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def init_limiter(app: Flask) -> None:
    """Bind the limiter (Redis at ``REDIS_URL`` when set, memory otherwise).

    The limiter object is shared by every app of the process, so it is always initialised
    switched on, and ``_limits_off`` applies each app's ``RATELIMIT_ENABLED``.
    """
    wanted = app.config.get("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or app.config.get(
        "RATELIMIT_STORAGE_URI") or "memory://"
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = wanted
    _only_when_enabled(app)


def _only_when_enabled(app: Flask) -> None:
    """Flask-Limiter's three request hooks on ``app``, each returning at once while the app's
    ``RATELIMIT_ENABLED`` is off (read per request, as ``_limits_off`` does).

    Why: with limits off the before-request check still resolved the endpoint's limits (its
    name, the limit manager, the meta limits) before ``_limits_off`` exempted it, and the
    after-request and teardown hooks built the limiter's per-request context: ~0.1 ms a
    request for nothing. Off, none of them can do anything: ``_limits_off`` exempts every
    limit, decorated ones included (their decorator still asks it), so no limit is evaluated,
    no header is due and there is no context to reset.
    """
    config = app.config
    before, after = app.before_request_funcs[None], app.after_request_funcs[None]
    teardown = app.teardown_request_funcs[None]
    # Flask-Limiter's own names for its hooks (not its public API): a release that renames
    # or moves them leaves its hooks as they are, slower with limits off but never broken
    check = getattr(limiter, "_check_request_limit", None)
    headers = next((f for f in after if isinstance(f, functools.partial)
                    and f.args == (limiter,)), None)
    release = getattr(limiter, "_Limiter__release_context", None)
    if not (check in before and headers is not None and release in teardown):
        return

    def check_limits() -> None:
        if config.get("RATELIMIT_ENABLED", True):
            check()

    def limit_headers(response: Response) -> Response:
        return headers(response) if config.get("RATELIMIT_ENABLED", True) else response

    def release_limits(exc: BaseException | None = None) -> None:
        if config.get("RATELIMIT_ENABLED", True):
            release(exc)

    before[before.index(check)] = check_limits
    after[after.index(headers)] = limit_headers
    teardown[teardown.index(release)] = release_limits


def rate(name: str, default: str):
    """A limit string read from config key ``name`` at request time (tests lower it)."""
    return lambda: current_app.config.get(name, default)
