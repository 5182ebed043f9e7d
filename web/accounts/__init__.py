"""Organisation profile and members, API tokens, and the platform admin's pages
(verification of organisations, the audit log)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from data.models import READER_ROLES

from .. import nav

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

nav.add("accounts.organization", _l("My organisation"), *READER_ROLES, "planner",
        order=80)
nav.add("accounts.members", _l("Members"), "org_admin", order=81)
nav.add("accounts.tokens", _l("API tokens"), "org_admin", order=82)
nav.add("accounts.pending_organizations", _l("Verify organisations"), "platform_admin",
        order=90)
nav.add("accounts.audit_log", _l("Audit log"), "platform_admin", order=91)

from . import routes  # noqa: E402,F401


@bp.app_context_processor
def _account_helpers() -> dict:
    """``role_label(role)`` for every template."""
    from web.accounts.forms import ROLE_LABELS

    return {"role_label": lambda r: str(ROLE_LABELS.get(r, r))}
