"""The organisations' forum: categories, threads, replies, follows, moderation."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav
from ..security import AUTHENTICATED

bp = Blueprint("forum", __name__, url_prefix="/forum")
nav.add("forum.index", _l("Forum"), AUTHENTICATED, order=65)

from . import routes  # noqa: E402,F401
