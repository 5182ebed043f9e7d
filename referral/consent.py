"""Consent to share: recorded before a referral is sent, or overridden by an allowed role.

Consent is a history of records (issue 23, data/models/consent.py): who gave it (the person or
a guardian, as free text), how (verbal, written, or a parent or guardian for a child), when, the
scope (which of ``CONSENT_SCOPES`` may be shared), with which organisations (verified ones; by
default the receivers of the case's referrals), for which purpose, and until when
(``CONSENT_DAYS`` after it was given unless a date is stated). The newest record is the current
one: a renewal (referral/renewal.py) supersedes it. Revoked or expired consent refuses every
read of the shared fields, saying why, and no referral is sent on it (referral/revocation.py
withdraws the open ones); nor is one sent to, or read by, an organisation it does not cover.

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

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Conflict, Forbidden
from data.models import CONSENT_METHODS, CONSENT_SCOPES, Case, ConsentRecord, Organization
from data.models.base import utcnow
from referral.crypto import DataCipher, seal
from textmatch.arabic import normalize

__all__ = ["CONSENT_DAYS", "OVERRIDE_ROLES", "ConsentInput", "add_record", "apply_consent",
           "consent_organizations", "consent_state", "covers", "current", "may_override",
           "missing_consent", "parse_consent", "record_state", "refused", "require_consent",
           "shared_scope"]

OVERRIDE_ROLES = {"org_admin": "any", "caseworker": "emergency"}
GIVEN_BY_MAX = 200
OVERRIDE_REASON_MAX = 1000
PURPOSE_MAX = 300
CONSENT_DAYS = 365  # default validity when no expiry is stated (TASHARUK_CONSENT_DAYS)
MAX_ORGS = 20
PICKER_MAX = 200  # organisations offered at once by the page's picker (a search narrows)


class ConsentInput(dict):
    """Validated consent: ``given_by``, ``method``, ``at``, ``scope``, ``purpose``,
    ``organization_ids`` and ``expires_at``."""


def _when(value: Any, field: str, *, end_of_day: bool = False) -> dt.datetime:
    """An ISO date or date-time from a form or JSON, aware (UTC when no zone is given); a
    bare date is its start, or with ``end_of_day`` its end (valid through that day)."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value) if len(value) == 10 else \
                dt.datetime.fromisoformat(value)
        except ValueError:
            raise BadInput(_("%(field)s must be an ISO date-time, e.g. "
                             "2026-11-29T10:00:00+02:00.", field=field), field=field) from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(23, 59, 59) if end_of_day else dt.time())
    if not isinstance(value, dt.datetime):
        raise BadInput(_("%(field)s must be a date-time.", field=field), field=field)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _org_ids(raw: Any) -> list[int]:
    """The organisations consent covers, as ids (empty: the case's receivers)."""
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list | tuple) or len(raw) > MAX_ORGS or not all(
            isinstance(x, int) and not isinstance(x, bool) and 0 < x < 2**31 for x in raw):
        raise BadInput(_("consent.organization_ids lists the organisations (ids, at most "
                         "%(n)s) the person agreed to share with.", n=MAX_ORGS),
                       field="consent.organization_ids")
    return list(dict.fromkeys(raw))


def default_days() -> int:
    """How long consent lasts when no expiry is stated (the app's TASHARUK_CONSENT_DAYS)."""
    from flask import current_app, has_app_context

    return int(current_app.config.get("CONSENT_DAYS", CONSENT_DAYS)) if has_app_context() \
        else CONSENT_DAYS


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
    at = now if at in (None, "") else _when(at, "consent.at")
    if at > now + dt.timedelta(minutes=5):
        raise BadInput(_("consent.at is in the future."), field="consent.at")
    expires = raw.get("expires_at")
    expires = at + dt.timedelta(days=default_days()) if expires in (None, "") else \
        _when(expires, "consent.expires_at", end_of_day=True)
    if expires <= now:
        raise BadInput(_("consent.expires_at must be in the future: consent that has "
                         "expired cannot be recorded."), field="consent.expires_at")
    purpose = raw.get("purpose")
    if purpose is not None and not isinstance(purpose, str):
        raise BadInput(_("%(field)s must be text.", field="consent.purpose"),
                       field="consent.purpose")
    purpose = (purpose or "").strip() or None
    if purpose is not None and len(purpose) > PURPOSE_MAX:
        raise fields.too_long("consent.purpose", PURPOSE_MAX)
    org_ids = _org_ids(raw.get("organization_ids"))
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
                        scope=[s for s in CONSENT_SCOPES if s in scope], purpose=purpose,
                        organization_ids=org_ids, expires_at=expires)


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


def org_label(org: Organization | None, org_id: int) -> str:
    """An organisation's name in the user's language (its id when unknown), for messages."""
    if org is None:
        return str(org_id)
    locale = get_locale()
    return org.name(locale.language if locale is not None else "ar")


def not_covered(session: Session, org_ids: list[int]) -> BadInput:
    """The error for a referral to organisations the person's consent does not name."""
    orgs = {o.id: o for o in session.scalars(select(Organization).where(
        Organization.id.in_(org_ids)))}
    return BadInput(_("The person's consent does not cover %(orgs)s: add it to the "
                      "organisations consent covers (with the person's agreement), or ask the "
                      "person again.", orgs=", ".join(org_label(orgs.get(i), i) for i in org_ids)),
                    field="consent.organization_ids", details={"organization_ids": org_ids})


def consent_organizations(query: str | None, selected: list[int]) -> Select:
    """The verified organisations the page offers for consent: those matching ``query``
    (Arabic-normalised names, acronym, aliases) and always those already ``selected``."""
    shown = Organization.verification == "verified"
    norm = normalize(query) if query else ""
    match = Organization.search_text.contains(norm, autoescape=True) if norm else None
    if match is not None:
        shown = shown & (or_(match, Organization.id.in_(selected)) if selected else match)
    first = [Organization.id.in_(selected).desc()] if selected else []  # never cut off
    return select(Organization).where(shown).order_by(
        *first, Organization.name_en, Organization.id).limit(PICKER_MAX + len(selected))


def check_organizations(session: Session, named: list[int]) -> None:
    """Refuse naming an organisation that does not exist or is not verified."""
    if not named:
        return
    verified = set(session.scalars(select(Organization.id).where(
        Organization.id.in_(named), Organization.verification == "verified")))
    wrong = [i for i in named if i not in verified]
    if wrong:
        raise BadInput(_("consent.organization_ids: %(ids)s is not a verified organisation; "
                         "consent can name only verified organisations.",
                         ids=", ".join(map(str, wrong))), field="consent.organization_ids",
                       details={"organization_ids": wrong})


def add_record(session: Session, case: Case, actor: Any, consent: ConsentInput,
               receiver_org_ids: list[int], *, supersedes: ConsentRecord | None = None,
               action: str = "consent.recorded") -> ConsentRecord:
    """Store ``consent`` as the case's new current record (audited, without who gave it).

    Consent that names organisations must cover every receiver (``receiver_org_ids``);
    without names it covers them, and the record lists them."""
    receivers = list(dict.fromkeys(receiver_org_ids))
    named = list(consent.get("organization_ids") or [])
    check_organizations(session, named)
    uncovered = [o for o in receivers if named and o not in named]
    if uncovered:
        raise not_covered(session, uncovered)
    rec = ConsentRecord(case_id=case.id, given_by=consent["given_by"], method=consent["method"],
                        given_at=consent["at"], scope=list(consent["scope"]),
                        purpose=consent.get("purpose"), organization_ids=named or receivers,
                        expires_at=consent.get("expires_at"),
                        supersedes_id=supersedes.id if supersedes is not None else None,
                        created_by_id=getattr(actor, "id", None))
    session.add(rec)
    session.flush()
    session.expire(case, ["consents", "consent"])
    record(session, action, user=actor, object_type="case", object_id=str(case.id), summary={
        "consent_id": rec.id, "supersedes": rec.supersedes_id, "method": rec.method,
        "scope": rec.scope, "organization_ids": rec.organization_ids,
        "expires_at": rec.expires_at.isoformat() if rec.expires_at else None})
    return rec


def apply_consent(session: Session, case: Case, actor: Any, consent: ConsentInput | None,
                  override_reason: str | None, cipher: DataCipher | None,
                  receiver_org_ids: list[int] | None = None) -> None:
    """Store consent as the case's first record, or a checked override (audited) on ``case``;
    free text encrypted."""
    if consent is not None:
        add_record(session, case, actor, consent, list(receiver_org_ids or ()))
        return
    if override_reason:
        case.consent_override_reason_enc = seal(cipher, override_reason,
                                                "consent_override_reason")
        case.consent_override_by_id = getattr(actor, "id", None)
        session.flush()
        record(session, "referral.consent_override", user=actor, object_type="case",
               object_id=str(case.id), summary={"reason_given": True,
                                                "urgency": case.urgency})


def current(case: Case) -> ConsentRecord | None:
    """The case's current consent record (the newest), or None."""
    return case.consent


def _gives(rec: ConsentRecord | None) -> bool:
    return rec is not None and rec.given_at is not None and bool(rec.method)


def _overridden(case: Case) -> bool:
    return bool(case.consent_override_reason_enc or case.consent_override_reason)


def has_consent(case: Case) -> bool:
    """Recorded consent (current record, even if revoked or expired) or a recorded override."""
    return _gives(current(case)) or _overridden(case)


def missing_consent() -> BadInput:
    """The error for sending a referral with neither recorded consent nor an override."""
    return BadInput(_("A referral cannot be sent without recorded consent (who gave it, how, "
                      "when, what may be shared) or an allowed override with a reason."),
                    field="consent")


def record_state(rec: ConsentRecord, now: dt.datetime | None = None, *,
                 superseded: bool = False) -> str:
    """'superseded', 'revoked', 'expired', 'valid' or 'missing' for one record."""
    if superseded:
        return "superseded"
    if rec.revoked_at is not None:
        return "revoked"
    if not _gives(rec):
        return "missing"
    if rec.expires_at is not None and rec.expires_at <= (now or utcnow()):
        return "expired"
    return "valid"


def consent_state(case: Case, now: dt.datetime | None = None) -> str:
    """'valid', 'override', 'revoked', 'expired' or 'missing': may the shared fields go out?"""
    rec = current(case)
    if rec is None or (rec.revoked_at is None and not _gives(rec)):
        return "override" if _overridden(case) else "missing"
    return record_state(rec, now)


def covers(case: Case, org_id: int | None) -> bool:
    """Does the current consent cover ``org_id``? (an override, or a record naming none,
    covers the case's receivers)"""
    rec = current(case)
    return org_id is None or rec is None or not rec.organization_ids or \
        org_id in rec.organization_ids


def refused(case: Case, now: dt.datetime | None = None,
            org_id: int | None = None) -> Conflict | None:
    """The error saying why the shared fields may not be read (revoked or expired consent,
    or consent that no longer covers the reader's organisation ``org_id``), or None."""
    state = consent_state(case, now)
    rec = current(case)
    if state == "revoked" and rec is not None:
        return Conflict(_("The person revoked their consent on %(date)s: the details they "
                          "had agreed to share are no longer available.",
                          date=rec.revoked_at.date().isoformat() if rec.revoked_at else "-"),
                        code="consent_revoked", field="consent")
    if state == "expired" and rec is not None:
        return Conflict(_("The person's consent expired on %(date)s: the details they had "
                          "agreed to share are no longer available until they agree again.",
                          date=rec.expires_at.date().isoformat() if rec.expires_at else "-"),
                        code="consent_expired", field="consent")
    if state == "valid" and not covers(case, org_id):
        return Conflict(_("The person's current consent does not cover your organisation: "
                          "the details they had agreed to share are not available to it."),
                        code="consent_not_covered", field="consent")
    return None


def require_consent(case: Case, receiver_org_id: int | None = None,
                    session: Session | None = None) -> None:
    """Refuse to send a referral whose case has neither consent nor an override, whose
    consent was revoked or has expired, or does not cover the receiving organisation."""
    if not has_consent(case) and consent_state(case) != "revoked":
        raise missing_consent()
    error = refused(case)
    if error is not None:
        raise error
    if receiver_org_id is not None and consent_state(case) == "valid" and \
            not covers(case, receiver_org_id):
        if session is not None:
            raise not_covered(session, [receiver_org_id])
        raise BadInput(_("The person's consent does not cover %(orgs)s: add it to the "
                         "organisations consent covers (with the person's agreement), or ask "
                         "the person again.", orgs=str(receiver_org_id)),
                       field="consent.organization_ids",
                       details={"organization_ids": [receiver_org_id]})


def shared_scope(case: Case) -> set[str]:
    """What the receiving organisation may see of the case (an override: everything)."""
    rec = current(case)
    if _gives(rec) and rec is not None:
        return set(rec.scope or ())
    return set(CONSENT_SCOPES) if _overridden(case) else set()
