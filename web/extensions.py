"""Extensions, created unbound and bound in the factory."""

from __future__ import annotations

from flask import Flask, current_app
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


def rate(name: str, default: str):
    """A limit string read from config key ``name`` at request time (tests lower it)."""
    return lambda: current_app.config.get(name, default)
