"""The platform admins' view of background jobs: queued, running, failed with their errors,
retried; a failed job sent back to the queue."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from .. import nav

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

nav.add("jobs.index", _l("Background jobs"), "platform_admin", order=92)

from . import routes  # noqa: E402,F401
