"""Extensions, created unbound and bound in the factory."""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect


def _limiter_storage() -> str:
    return current_app.config.get("REDIS_URL") or "memory://"


csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[],
                  storage_uri=None, strategy="fixed-window")
