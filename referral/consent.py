"""Consent to share: recorded before a referral is sent, or overridden by an allowed role.

Consent records who gave it (the person or a guardian, as free text), how (verbal or written),
when, and the scope: which of ``CONSENT_SCOPES`` may be shared with the receiving organisation.

Override rule (decided here, documented in the README): an ``org_admin`` may override with a
reason; a ``caseworker`` may override only for an *emergency* case (e.g. a child at risk), with
a reason. Every override is stored on the case and written to the audit log. Why consent was
overridden is free text about a person: stored encrypted (referral/crypto.py), and the audit
row records that an override happened, never its reason. Who gave consent is a relationship
("the person", "mother"), stored plain like the method (docs/security.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Forbidden
from data.models import CONSENT_METHODS, CONSENT_SCOPES, Case
from data.models.base import utcnow
from referral.crypto import DataCipher, seal

__all__ = ["OVERRIDE_ROLES", "ConsentInput", "apply_consent", "may_override", "missing_consent",
           "parse_consent", "require_consent", "shared_scope"]

OVERRIDE_ROLES = {"org_admin": "any", "caseworker": "emergency"}
GIVEN_BY_MAX = 200
OVERRIDE_REASON_MAX = 1000


class ConsentInput(dict):
    """Validated consent: ``given_by``, ``method``, ``at``, ``scope``."""


def parse_consent(raw: Any, *, now: dt.datetime | None = None) -> ConsentInput | None:
    """Validate a consent mapping from a form or JSON; None when nothing was given."""
    if raw in (None, {}, ""):
        return None
    if not isinstance(raw, dict):
        raise BadInput(_("consent must be an object with given_by, method, at and scope."),
                       field="consent")
    given_by = str(raw.get("given_by") or "").strip()
    if not given_by:
        raise BadInput(_("Who gave consent is required (the person, or a guardian)."),
                       field="consent.given_by")
    if len(given_by) > GIVEN_BY_MAX:
        raise fields.too_long("consent.given_by", GIVEN_BY_MAX)
    method = raw.get("method")
    if method not in CONSENT_METHODS:
        raise fields.not_one_of("consent.method", CONSENT_METHODS,
                                details={"allowed": list(CONSENT_METHODS)})
    at = raw.get("at")
    now = now or utcnow()
    if at in (None, ""):
        at = now
    elif isinstance(at, str):
        try:
            at = dt.datetime.fromisoformat(at)
        except ValueError:
            raise BadInput(_("consent.at must be an ISO date-time, e.g. "
                             "2026-11-29T10:00:00+02:00."), field="consent.at") from None
    if not isinstance(at, dt.datetime):
        raise BadInput(_("consent.at must be a date-time."), field="consent.at")
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    if at > now + dt.timedelta(minutes=5):
        raise BadInput(_("consent.at is in the future."), field="consent.at")
    scope = raw.get("scope")
    if not isinstance(scope, list | tuple) or not scope:
        raise BadInput(_("consent.scope lists what may be shared, from %(values)s.",
                         values=", ".join(CONSENT_SCOPES)), field="consent.scope",
                       details={"allowed": list(CONSENT_SCOPES)})
    unknown = [s for s in scope if s not in CONSENT_SCOPES]
    if unknown:
        raise BadInput(_("consent.scope has unknown entries %(unknown)s; allowed: "
                         "%(values)s.", unknown=", ".join(map(str, unknown)),
                         values=", ".join(CONSENT_SCOPES)), field="consent.scope",
                       details={"allowed": list(CONSENT_SCOPES)})
    return ConsentInput(given_by=given_by, method=method, at=at,
                        scope=[s for s in CONSENT_SCOPES if s in scope])


def may_override(role: str | None, urgency: str) -> bool:
    """True when ``role`` may send without consent for a case of this urgency."""
    rule = OVERRIDE_ROLES.get(role or "")
    return rule == "any" or (rule == "emergency" and urgency == "emergency")


def check_override(actor: Any, urgency: str, reason: str | None) -> str:
    """Validate an override request; return the cleaned reason."""
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_("An override of consent needs a reason."),
                       field="consent_override_reason")
    if len(reason) > OVERRIDE_REASON_MAX:
        raise fields.too_long("consent_override_reason", OVERRIDE_REASON_MAX)
    if not may_override(getattr(actor, "role", None), urgency):
        raise Forbidden(_("Only an organisation admin may send without consent; a caseworker "
                          "only for an emergency (e.g. a child at risk)."),
                        field="consent_override_reason")
    return reason


def apply_consent(session: Session, case: Case, actor: Any, consent: ConsentInput | None,
                  override_reason: str | None, cipher: DataCipher | None) -> None:
    """Store consent, or a checked override (audited), on ``case``; free text encrypted."""
    if consent is not None:
        case.consent_given_by = consent["given_by"]
        case.consent_method = consent["method"]
        case.consent_at = consent["at"]
        case.consent_scope = list(consent["scope"])
        return
    if override_reason:
        case.consent_override_reason_enc = seal(cipher, override_reason,
                                                "consent_override_reason")
        case.consent_override_by_id = getattr(actor, "id", None)
        case.consent_scope = list(CONSENT_SCOPES)
        session.flush()
        record(session, "referral.consent_override", user=actor, object_type="case",
              object_id=str(case.id), summary={"reason_given": True,
                                               "urgency": case.urgency})


def has_consent(case: Case) -> bool:
    """Recorded consent or a recorded override."""
    return (case.consent_at is not None and bool(case.consent_method)) or \
        bool(case.consent_override_reason_enc or case.consent_override_reason)


def missing_consent() -> BadInput:
    """The error for sending a referral with neither recorded consent nor an override."""
    return BadInput(_("A referral cannot be sent without recorded consent (who gave it, how, "
                      "when, what may be shared) or an allowed override with a reason."),
                    field="consent")


def require_consent(case: Case) -> None:
    """Refuse to send a referral whose case has neither consent nor an override."""
    if not has_consent(case):
        raise missing_consent()


def shared_scope(case: Case) -> set[str]:
    """What the receiving organisation may see of the case."""
    return set(case.consent_scope or ())
