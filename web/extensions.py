"""Extensions, created unbound and bound in the factory."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from flask import Flask, Response, current_app, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter

csrf = CSRFProtect()
login_manager = LoginManager()


def counted_as(who: Any) -> str | None:
    """Whose allowance a signed-in caller's requests count against: a person's own account;
    an API token (no person) with its organisation's other tokens, so minting tokens does not
    multiply an allowance. None for the public, who are counted by address."""
    if not getattr(who, "is_authenticated", False):
        return None
    if getattr(who, "token_id", None) is None:
        return f"user:{who.id}"
    return f"org:{who.organization_id}"


def limit_key() -> str:
    """The limiter's key: the signed-in caller (``counted_as``), else the client's address.
    A whole office, or a town behind its provider's NAT, shares one public address: counted
    by address, one caseworker's reports used up every colleague's."""
    # (web.security.principal's lookup: that module imports this one)
    return counted_as(g.get("principal", None) or current_user) or get_remote_address()


def refused(response: Response) -> bool:
    """Whether a request was refused (4xx/5xx): for limits that count only failures, such as
    guessing a feedback code, so that the many people of a clinic, an office or a town behind
    one public address who send a good one are never refused."""
    return response.status_code >= 400


limiter = Limiter(key_func=limit_key, default_limits=[], storage_uri=None,
                  strategy="fixed-window")


@limiter.request_filter
def _limits_off() -> bool:
    """``RATELIMIT_ENABLED`` is read per request, so one app (or test) can switch it."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


REDIS_TIMEOUT_S = 1.0  # a Redis that does not answer costs a request this much, not minutes
log = logging.getLogger(__name__)


def init_limiter(app: Flask) -> None:
    """Bind the limiter (Redis at ``REDIS_URL`` when set, memory otherwise).

    The limiter object is shared by every app of the process, so it is always initialised
    switched on, and ``_limits_off`` applies each app's ``RATELIMIT_ENABLED``.

    When Redis stops answering, each process counts the same limits in its own memory until
    Redis is back (Flask-Limiter's in-memory fallback, which looks for Redis again after 1,
    2, 4... 32 s): sign-in and the other limited forms went on being limited instead of
    answering 500 to everyone. A Redis out of reach fails within ``REDIS_TIMEOUT_S``.
    """
    wanted = app.config.get("RATELIMIT_ENABLED", True)
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or app.config.get(
        "RATELIMIT_STORAGE_URI") or "memory://"
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis", "rediss")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "socket_connect_timeout": REDIS_TIMEOUT_S, "socket_timeout": REDIS_TIMEOUT_S})
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


@functools.cache
def _memory_limiter() -> RateLimiter:
    """This process's own counter, for limits counted by hand while Redis is away."""
    return FixedWindowRateLimiter(MemoryStorage())


def hit(spec: str, *identifiers: str) -> int:
    """Count one hit of limit ``spec`` (e.g. "30 per hour") for ``identifiers`` in the
    limiter's storage: 0 when within it, else the seconds to wait. For limits counted by hand
    (exports per person and per token); when the storage (Redis) does not answer, in this
    process's memory, as Flask-Limiter does for its own."""
    item = parse(spec)

    def count(strategy: RateLimiter) -> int:
        if strategy.hit(item, *identifiers):
            return 0
        reset, _remaining = strategy.get_window_stats(item, *identifiers)
        return max(1, int(reset - time.time()) + 1)

    strategy = limiter.limiter
    try:
        return count(strategy)
    except (StorageError, *strategy.storage.base_exceptions) as exc:
        log.warning("rate limit storage unreachable (%s): counting in memory", type(exc).__name__)
        return count(_memory_limiter())


def rate(name: str, default: str):
    """A limit string read from config key ``name`` at request time (tests lower it)."""
    return lambda: current_app.config.get(name, default)
