"""Structured feedback from the people served (issue 22): a caseworker hands the person a
short code (or its link); with it, once and without an account, the person says whether the
service was provided, respectful and timely, and may add a comment. Nothing identifies them:
the code is not tied to the referral or the case. Comments are sealed at rest and wait for a
platform admin's moderation before the organisation sees them.

Aggregates per service (one statement for a page's services): the organisation's admins
always see them; everyone else only from ``MIN_FEEDBACK`` answers, so that a single answer
cannot be traced back to a person.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.models import FeedbackCode, Service, ServiceFeedback, User
from referral.crypto import configured_cipher, seal, unseal
from referral.search import Viewer

__all__ = ["COMMENT_MAX", "FEEDBACK_STATES", "MIN_FEEDBACK", "approved_comments",
           "feedback_figures", "issue_code", "issue_code_for_referral", "moderate",
           "pending_comments", "submit_feedback"]

MIN_FEEDBACK = 5
COMMENT_MAX = 500
_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B: read aloud safely


def issue_code(session: Session, service_id: int, actor: User) -> FeedbackCode:
    """A new single-use code for feedback on ``service_id``."""
    if session.get(Service, service_id) is None:
        raise NotFound(_("Service %(id)s does not exist.", id=service_id))
    code = FeedbackCode(code="".join(secrets.choice(_ALPHABET) for _ in range(8)),
                        service_id=service_id, created_by_id=actor.id)
    session.add(code)
    session.flush()
    return code


FEEDBACK_STATES = ("accepted", "in_progress", "completed", "closed_unmet")


def issue_code_for_referral(session: Session, referral_id: int, actor: User) -> FeedbackCode:
    """A code for the service of a referral its sender made, once the person has been taken
    in (accepted or later): handed by the caseworker from the referral's page. Like every
    code, it is not tied to the referral, so the feedback cannot be traced to the person."""
    from referral.access import SENDER, side_of, visible_referral

    referral = visible_referral(session, referral_id, actor)
    if side_of(referral, actor) != SENDER:
        raise Forbidden(_("Only the referring organisation hands feedback codes for a "
                          "referral."))
    if referral.status not in FEEDBACK_STATES or referral.service_id is None:
        raise BadInput(_("A feedback code can be handed once the service has taken the "
                         "person in (accepted, in progress, completed or closed)."),
                       field="status")
    return issue_code(session, referral.service_id, actor)


def _yes_no(data: dict, name: str, required: bool = False) -> bool | None:
    if data.get(name) in (None, ""):
        if required:
            raise fields.missing(name)
        return None
    return fields.boolean(data, name)


def submit_feedback(session: Session, code: str, data: dict,
                    now: dt.datetime | None = None) -> ServiceFeedback:
    """The person's feedback with ``code`` (once): BadInput names a wrong field, Conflict a
    used code, NotFound an unknown one."""
    now = now or dt.datetime.now(dt.UTC)
    row = session.scalar(select(FeedbackCode).where(
        FeedbackCode.code == str(code).strip().upper()[:12]).with_for_update())
    if row is None:
        raise NotFound(_("This feedback code is not known."), field="code")
    if row.used_at is not None:
        raise Conflict(_("This feedback code was already used."), field="code")
    unknown = sorted(set(data) - {"provided", "respectful", "timely", "comment"})
    if unknown:
        raise BadInput(_("Unknown field: %(name)s.", name=unknown[0]), field=unknown[0])
    provided = _yes_no(data, "provided", required=True)
    respectful, timely = _yes_no(data, "respectful"), _yes_no(data, "timely")
    comment = fields.text(data, "comment", max_len=COMMENT_MAX) or ""
    feedback = ServiceFeedback(service_id=row.service_id, code_id=row.id,
                               provided=bool(provided), respectful=respectful, timely=timely,
                               comment_enc=seal(configured_cipher(), comment, "comment"),
                               moderation="pending" if comment else "none")
    row.used_at = now
    session.add(feedback)
    session.flush()
    return feedback


def _share(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)


def feedback_figures(session: Session, service_ids: list[int], viewer: Viewer,
                     owners: dict[int, int]) -> dict[int, dict[str, Any]]:
    """Per service: answers and the shares answering yes (None when not answered); the
    shares only to the owning organisation's admins or from ``MIN_FEEDBACK`` answers.
    ``owners``: service id -> organisation id."""
    rows = session.execute(text(
        "SELECT service_id, count(*), avg(provided::int), avg(respectful::int), "
        "avg(timely::int) FROM service_feedback WHERE service_id = ANY(CAST(:ids AS int[])) "
        "GROUP BY service_id"), {"ids": list(service_ids)}).all()
    found = {r[0]: r for r in rows}
    out = {}
    for sid in service_ids:
        n = int(found[sid][1]) if sid in found else 0
        own = viewer.role == "platform_admin" or (
            viewer.role == "org_admin" and viewer.organization_id == owners.get(sid))
        shown = n > 0 and (own or n >= MIN_FEEDBACK)
        r = found.get(sid)
        out[sid] = {"responses": n, "shown": shown,
                    "provided_share": _share(r[2]) if shown and r else None,
                    "respectful_share": _share(r[3]) if shown and r else None,
                    "timely_share": _share(r[4]) if shown and r else None}
    return out


REASON_MAX = 500


def moderate(session: Session, feedback_id: int, decision: str, viewer: Viewer,
             reason: Any = "", actor: Any = None) -> ServiceFeedback:
    """A platform admin approves or rejects a comment (approved: its organisation sees it);
    the decision and its reason are in the audit log, never the comment."""
    if viewer.role != "platform_admin":
        raise Forbidden(_("Only platform administrators may moderate feedback."))
    feedback = session.get(ServiceFeedback, feedback_id)
    if feedback is None or feedback.moderation == "none":
        raise NotFound(_("No comment to moderate with id %(id)s.", id=feedback_id))
    if decision not in ("approved", "rejected"):
        raise fields.not_one_of("decision", ("approved", "rejected"))
    if not isinstance(reason, str):
        raise BadInput(_("%(field)s must be text.", field="reason"), field="reason")
    reason = fields.text({"reason": reason}, "reason", max_len=REASON_MAX) or ""
    feedback.moderation = decision
    session.flush()
    record(session, "feedback.moderated", user=actor, object_type="service_feedback",
           object_id=feedback.id, summary={"decision": decision, "reason": reason,
                                           "service_id": feedback.service_id})
    return feedback


def pending_comments(session: Session, viewer: Viewer, limit: int = 100
                     ) -> list[dict[str, Any]]:
    """Comments waiting for moderation, oldest first, with their service (platform admins)."""
    if viewer.role != "platform_admin":
        raise Forbidden(_("Only platform administrators may moderate feedback."))
    cipher = configured_cipher()
    rows = session.execute(
        select(ServiceFeedback, Service.name_ar, Service.name_en, Service.organization_id)
        .join(Service, Service.id == ServiceFeedback.service_id)
        .where(ServiceFeedback.moderation == "pending")
        .order_by(ServiceFeedback.id).limit(limit)).all()
    return [{"id": f.id, "service_id": f.service_id, "service_name_ar": ar,
             "service_name_en": en, "organization_id": org, "provided": f.provided,
             "respectful": f.respectful, "timely": f.timely,
             "comment": unseal(cipher, f.comment_enc) or "", "created_at": f.created_at}
            for f, ar, en, org in rows]


def approved_comments(session: Session, organization_id: int, viewer: Viewer,
                      limit: int = 100) -> list[dict[str, Any]]:
    """The moderated-in comments on an organisation's services, newest first (its admins)."""
    from data.models import Organization

    if session.get(Organization, organization_id) is None:
        raise NotFound(_("Organisation %(id)s does not exist.", id=organization_id))
    if not (viewer.role == "platform_admin" or (viewer.role == "org_admin"
                                                 and viewer.organization_id == organization_id)):
        raise Forbidden(_("Only this organisation's administrators may change it."))
    cipher = configured_cipher()
    rows = session.execute(
        select(ServiceFeedback, Service.name_ar, Service.name_en)
        .join(Service, Service.id == ServiceFeedback.service_id)
        .where(Service.organization_id == organization_id,
               ServiceFeedback.moderation == "approved")
        .order_by(ServiceFeedback.id.desc()).limit(limit)).all()
    return [{"id": f.id, "service_id": f.service_id, "service_name_ar": ar,
             "service_name_en": en, "provided": f.provided, "respectful": f.respectful,
             "timely": f.timely, "comment": unseal(cipher, f.comment_enc) or "",
             "created_at": f.created_at.isoformat() if f.created_at else None}
            for f, ar, en in rows]
