"""The library of laws, decrees, decisions and circulars: search, read, publish (admins)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav
from ..security import PUBLIC

bp = Blueprint("library", __name__, url_prefix="/library")
nav.add("library.index", _l("Library"), PUBLIC, order=60)

from . import routes  # noqa: E402,F401
