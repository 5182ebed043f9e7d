"""The JSON API under /api/v1: one module per resource, one error envelope, one OpenAPI doc.

Each resource module registers its routes on ``bp`` and declares ``OPENAPI_PATHS``
(paths relative to /api/v1, OpenAPI 3 path items); ``openapi.py`` merges them.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Resource modules, in the order their paths appear in the OpenAPI document.
from . import (  # noqa: E402
    changes,
    exports,
    feedback,
    focal,
    forum,
    gaps,
    glass,
    library,
    me,
    members,
    organizations,
    partners,
    referrals,
    reports,
    root,
    services,
    sessions,
    webhooks,
)

RESOURCES = [root, me, members, sessions, gaps, referrals, glass, focal, library, forum,
             services, reports, organizations, partners, changes, webhooks, feedback, exports]
