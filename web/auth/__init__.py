"""Signing in and out (accounts, roles and tokens build on this)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("auth", __name__, url_prefix="/auth")
nav.add("auth.password", _l("Change the password"), "authenticated", order=99,
        area="account")
nav.add("auth.sessions_page", _l("Signed-in sessions"), "authenticated", order=100,
        area="account")

from . import routes  # noqa: E402,F401
