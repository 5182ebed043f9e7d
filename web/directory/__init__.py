"""The service directory: provider search (list and map), organisation and service pages,
service forms for organisation admins."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from ..nav import add
from ..security import PUBLIC

bp = Blueprint("directory", __name__, url_prefix="/directory", static_folder="static",
               static_url_path="/static")

add("directory.search", _l("Find services"), PUBLIC, order=10)
add("directory.feedback_moderation", _l("Comments to moderate"), "platform_admin", order=93)

from . import routes  # noqa: E402,F401
