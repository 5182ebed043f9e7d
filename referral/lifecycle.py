"""The referral state machine: one table of allowed transitions per side and role.

Every transition checks the caller's side (sender or receiver organisation) and role against
``TRANSITIONS``, checks the referral's version (optimistic locking: a stale version changes
nothing and answers 409), appends a ``ReferralEvent``, and tells the other side (the sender is
told of every change). Illegal actions answer 409 with the actions that are allowed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data import fields
from data.errors import BadInput, Conflict, Forbidden
from data.members import org_admins
from data.models import (
    REASONS,
    STAFF_ROLES,
    SYSTEM_REASONS,
    Organization,
    Referral,
    ReferralEvent,
    Service,
    User,
)
from data.models.base import utcnow
from matching import reasons
from referral.access import RECEIVER, SENDER, side_of, visible_referral
from referral.crypto import DataCipher, configured_cipher, seal
from referral.notify import MailConfig, notify
from referral.workdays import add_working_days

__all__ = ["ACTIONS", "REASON_LABELS", "STATUS_LABELS", "SYSTEM", "TRANSITIONS", "Rule",
           "add_note", "allowed_actions", "receiver_staff", "revoke_receiver", "transition"]

SYSTEM = "system"
STAFF = frozenset(STAFF_ROLES)
OPEN_STATES = frozenset({"sent", "accepted", "in_progress"})  # the receiver holds the case
NOTE_MAX = 2000
REASON_TEXT_MAX = 500
DEFAULT_RESPONSE_DAYS = 5


@dataclass(frozen=True)
class Rule:
    """From which states an action leads to which state, and whether it needs a reason."""

    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    needs_reason: bool = False


# (side, action) -> rule. Roles outside ``roles`` (planner, viewer, platform_admin) may not
# act on any side. "system" is the expiry job.
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (SENDER, "send"): Rule(frozenset({"draft"}), "sent", STAFF),
    (SENDER, "withdraw"): Rule(frozenset({"draft", "sent", "accepted", "in_progress"}),
                               "withdrawn", STAFF),
    (RECEIVER, "accept"): Rule(frozenset({"sent"}), "accepted", STAFF),
    (RECEIVER, "decline"): Rule(frozenset({"sent"}), "declined", STAFF, needs_reason=True),
    (RECEIVER, "start"): Rule(frozenset({"accepted"}), "in_progress", STAFF),
    (RECEIVER, "complete"): Rule(frozenset({"in_progress"}), "completed", STAFF),
    (RECEIVER, "close_unmet"): Rule(frozenset({"accepted", "in_progress"}), "closed_unmet",
                                    STAFF, needs_reason=True),
    (SYSTEM, "expire"): Rule(frozenset({"sent"}), "expired", frozenset({SYSTEM})),
    # the receiving organisation was rejected or suspended: its members lose the referral
    (SYSTEM, "revoke_receiver"): Rule(OPEN_STATES, "receiver_revoked", frozenset({SYSTEM}),
                                      needs_reason=True),
}
ACTIONS = ("send", "accept", "decline", "start", "complete", "close_unmet", "withdraw",
           "expire", "revoke_receiver")
CLOSED_STATES = ("declined", "completed", "closed_unmet", "withdrawn", "expired",
                 "receiver_revoked")

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "draft": ("مسودة", "draft"),
    "sent": ("مُرسلة", "sent"),
    "accepted": ("مقبولة", "accepted"),
    "declined": ("مرفوضة", "declined"),
    "in_progress": ("قيد التنفيذ", "in progress"),
    "completed": ("مكتملة", "completed"),
    "closed_unmet": ("مغلقة دون تلبية", "closed unmet"),
    "withdrawn": ("مسحوبة", "withdrawn"),
    "expired": ("منتهية المهلة", "expired"),
    "receiver_revoked": ("أُلغيت: الجهة المستقبِلة غير موثّقة", "revoked: receiver not verified"),
}
REASON_LABELS: dict[str, tuple[str, str]] = reasons.LABELS  # (Arabic, English)
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "send": ("إرسال", "send"), "accept": ("قبول", "accept"), "decline": ("رفض", "decline"),
    "start": ("بدء الخدمة", "start"), "complete": ("إكمال", "complete"),
    "close_unmet": ("إغلاق دون تلبية", "close unmet"), "withdraw": ("سحب", "withdraw"),
    "expire": ("انتهاء المهلة", "expire"), "note": ("ملاحظة", "note"),
    "create": ("إنشاء", "create"),
    "revoke_receiver": ("سحب الإحالة من جهة غير موثّقة", "taken back from an unverified receiver"),
}


def _actor_side_role(referral: Referral, actor: Any) -> tuple[str | None, str | None]:
    if actor is None:
        return SYSTEM, SYSTEM
    return side_of(referral, actor), getattr(actor, "role", None)


def _side_name(side: str | None) -> str:
    """The side of a refused transition, in the user's language, for the error message."""
    if side == SENDER:
        return _("the sending organisation")
    if side == RECEIVER:
        return _("the receiving organisation")
    return _("the system")


def allowed_actions(referral: Referral, actor: Any) -> list[str]:
    """The actions ``actor`` (None: the system) may take on ``referral`` now, in table order."""
    side, role = _actor_side_role(referral, actor)
    return [action for (s, action), rule in TRANSITIONS.items()
            if s == side and role in rule.roles and referral.status in rule.sources]


def _check_reason(rule: Rule, reason: str | None, reason_text: str | None) -> None:
    if SYSTEM in rule.roles:  # the platform's own reasons, given by code, not by a user
        if (rule.needs_reason or reason is not None) and reason not in SYSTEM_REASONS + REASONS:
            raise fields.not_one_of("reason", SYSTEM_REASONS)
        return
    if reason_text is not None and len(reason_text) > REASON_TEXT_MAX:
        raise fields.too_long("reason_text", REASON_TEXT_MAX)
    if not rule.needs_reason and reason in (None, ""):
        return
    if not reason:
        raise BadInput(_("This action needs a reason, one of %(values)s.",
                         values=", ".join(REASONS)),
                       field="reason", details={"allowed": list(REASONS)})
    if reason not in REASONS:
        raise fields.not_one_of("reason", REASONS, details={"allowed": list(REASONS)})
    if rule.needs_reason and reason == "other" and not (reason_text or "").strip():
        raise BadInput(_("The reason 'other' needs a short text explaining it."),
                       field="reason_text")


def _check_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise fields.too_long("note", NOTE_MAX)
    return note


def _check_version(version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise BadInput(_("version is required: the referral's version you last saw "
                             "(an integer)."), field="version") from None
    return version


def transition(session: Session, referral_id: int, actor: Any, action: str, *,
               version: Any, reason: str | None = None, reason_text: str | None = None,
               note: str | None = None, now: dt.datetime | None = None,
               mail_config: MailConfig | None = None,
               cipher: DataCipher | None = None, system_reason: str | None = None) -> Referral:
    """Apply ``action`` to the referral as ``actor`` (None: the system); flush, never commit.

    ``system_reason``: a reason of the platform's (``SYSTEM_REASONS``, e.g. a revoked consent
    withdrawing the referral), recorded on a user's action; never taken from a request.

    The reason text and the note are stored encrypted with ``cipher`` (default: the app's
    configured one); without a key, text in them is refused (BadInput naming the field).

    Raises BadInput (unknown action, missing/unknown reason, bad note or version), NotFound
    (not one of the actor's two organisations), Conflict (illegal in this state or for this
    side/role, with ``details.allowed``; or a stale ``version``, with ``details.version``).
    """
    if action not in ACTIONS:
        raise fields.not_one_of("action", ACTIONS, details={"allowed": list(ACTIONS)})
    version = _check_version(version)
    note = _check_note(note)
    if actor is None:
        referral = session.get(Referral, referral_id)
        if referral is None:
            raise BadInput(_("Referral %(id)s doesn't exist.", id=referral_id), field="id")
    else:
        referral = visible_referral(session, referral_id, actor)
    side, role = _actor_side_role(referral, actor)
    rule = TRANSITIONS.get((side, action))
    allowed = allowed_actions(referral, actor)
    if rule is None or role not in rule.roles or referral.status not in rule.sources:
        if not allowed and role not in STAFF | {SYSTEM}:
            raise Forbidden(_("Your role cannot act on referrals."), field="action",
                            details={"allowed": []})
        raise Conflict(_("The action %(action)s is not allowed on a referral that is "
                         "%(status)s for %(side)s; allowed: %(allowed)s.", action=action,
                         status=referral.status, side=_side_name(side),
                         allowed=", ".join(allowed) or _("none")),
                       code="illegal_transition",
                       details={"field": "action", "status": referral.status,
                                "allowed": allowed})
    _check_reason(rule, reason, reason_text)
    if system_reason is not None:
        if system_reason not in SYSTEM_REASONS:
            raise fields.not_one_of("reason", SYSTEM_REASONS)
        reason = system_reason
    cipher = cipher or configured_cipher()
    reason_text = (reason_text or "").strip() or None
    reason_enc = seal(cipher, reason_text, "reason_text")
    note_enc = seal(cipher, note, "note")
    if version != referral.version:
        raise Conflict(_("The referral changed since you loaded it (version %(version)s, now "
                         "%(current)s); reload it and try again.", version=version,
                         current=referral.version), code="stale_version",
                       details={"field": "version", "version": referral.version})
    if action == "send":
        from referral.access import require_verified_receiver
        from referral.consent import require_consent

        require_verified_receiver(session.get(Organization, referral.receiver_org_id))
        require_consent(referral.case, referral.receiver_org_id, session)
    now = now or utcnow()
    before = referral.status
    try:
        with session.begin_nested():
            _apply(session, referral, actor, action, rule.target, now)
            if reason:
                referral.reason_code = reason
                referral.reason_text_enc = reason_enc
                if action in ("decline", "close_unmet"):
                    _flag_for_review(session, referral, reason, now)
            session.add(ReferralEvent(
                referral_id=referral.id, actor_user_id=getattr(actor, "id", None),
                action=action, from_status=before, to_status=rule.target,
                reason_code=reason or None, reason_text_enc=reason_enc,
                note_enc=note_enc, at=now))
            session.flush()
    except StaleDataError:
        session.expire(referral)
        raise Conflict(_("Someone else changed this referral at the same moment; reload it "
                         "and try again."), code="stale_version",
                       details={"field": "version"}) from None
    _tell(session, referral, actor, action, mail_config)
    return referral


# Coded reasons that say the listing itself may be wrong (issue 22): the service is not
# offered any more, or the person was "not eligible" although the listing's criteria fit.
REVIEW_REASONS = ("not_offered", "not_eligible")


def _fits_listing(svc: Service, case: Any) -> bool:
    """Whether the person fits the listing's own criteria (age, sex, target groups)."""
    if case.age is not None and ((svc.min_age is not None and case.age < svc.min_age)
                                 or (svc.max_age is not None and case.age > svc.max_age)):
        return False
    if svc.sex in ("female", "male") and case.sex in ("female", "male") and case.sex != svc.sex:
        return False
    groups = {g.code for g in svc.target_groups}
    return not groups or not case.target_groups or bool(groups & set(case.target_groups))


def _flag_for_review(session: Session, referral: Referral, reason: str,
                     now: dt.datetime) -> None:
    """Ask for a review of the listing when a decline says the listing may be wrong."""
    if reason not in REVIEW_REASONS or referral.service_id is None:
        return
    svc = session.get(Service, referral.service_id)
    if svc is None or (reason == "not_eligible" and not _fits_listing(svc, referral.case)):
        return
    svc.review_requested_at = svc.review_requested_at or now
    svc.review_request_reason = f"declined_{reason}"


def _apply(session: Session, referral: Referral, actor: Any, action: str, target: str,
           now: dt.datetime) -> None:
    referral.status = target
    if action == "send":
        referral.sent_at = now
        days = DEFAULT_RESPONSE_DAYS
        if referral.service_id is not None:
            svc = session.get(Service, referral.service_id)
            if svc is not None and svc.response_days:
                days = svc.response_days
        referral.due_at = add_working_days(now, days)
    elif action in ("accept", "decline"):
        referral.responded_at = now
        if action == "accept" and referral.assigned_user_id is None and actor is not None:
            referral.assigned_user_id = actor.id
    if target in CLOSED_STATES:
        referral.closed_at = now


def add_note(session: Session, referral_id: int, actor: Any, note: str,
             cipher: DataCipher | None = None) -> ReferralEvent:
    """Append a note to the referral's timeline (either side; the status does not change),
    encrypted with ``cipher`` (default: the app's configured one)."""
    note = _check_note(note)
    if not note:
        raise BadInput(_("The note is empty."), field="note")
    referral = visible_referral(session, referral_id, actor)
    if getattr(actor, "role", None) not in STAFF:
        raise Forbidden(_("Your role cannot add notes to referrals."), field="note")
    note_enc = seal(cipher or configured_cipher(), note, "note")
    event = ReferralEvent(referral_id=referral.id, actor_user_id=actor.id, action="note",
                          from_status=referral.status, to_status=referral.status,
                          note_enc=note_enc)
    session.add(event)
    session.flush()
    return event


def receiver_staff(session: Session, referral: Referral) -> list[User]:
    """Who answers a referral: its assignee, else the organisation's admins, else its staff."""
    if referral.assigned_user_id is not None:
        user = session.get(User, referral.assigned_user_id)
        return [user] if user is not None else []
    # its admins; an organisation without one hears through its other staff
    return org_admins(session, referral.receiver_org_id) or list(session.scalars(
        select(User).where(User.organization_id == referral.receiver_org_id,
                           User.active.is_(True), User.role.in_(STAFF)).order_by(User.id)))


def _sender_staff(session: Session, referral: Referral) -> list[User]:
    if referral.sender_user_id is not None:
        user = session.get(User, referral.sender_user_id)
        if user is not None:
            return [user]
    return org_admins(session, referral.sender_org_id)


def reference(referral: Referral) -> str:
    """A short, non-identifying reference for messages: R- and the first 8 uuid digits."""
    return f"R-{str(referral.uuid)[:8].upper()}"


def _tell(session: Session, referral: Referral, actor: Any, action: str,
          mail_config: MailConfig | None) -> None:
    """Notify the other side: no name, no service, no detail; only a reference and a link."""
    if action == "send" or (action == "withdraw" and referral.sent_at is not None):
        users = receiver_staff(session, referral)
    else:
        users = _sender_staff(session, referral)
    users = [u for u in users if actor is None or u.id != actor.id]
    if not users:
        return
    ref = reference(referral)
    ar, en = STATUS_LABELS[referral.status]
    if action == "send":
        text_ar, text_en = f"إحالة جديدة {ref} وصلت إلى منظمتكم.", \
            f"New referral {ref} for your organisation."
    elif action == "withdraw" and referral.reason_code == "consent_revoked":
        text_ar, text_en = f"سُحبت الإحالة {ref}: الشخص سحب موافقته على مشاركة بياناته.", \
            f"Referral {ref} was withdrawn: the person revoked their consent to share."
    else:
        text_ar, text_en = f"تغيّرت حالة الإحالة {ref}: {ar}.", \
            f"Referral {ref} is now {en}."
    notify(session, users, f"referral.{action}", text_ar, text_en,
           f"/referrals/{referral.id}", config=mail_config)


def revoke_receiver(session: Session, organization_id: int, reason_text: str, *,
                    mail_config: MailConfig | None = None) -> list[Referral]:
    """Take back every open referral received by an organisation that was rejected or
    suspended: each moves to ``receiver_revoked`` (an event, the sender is told) with the
    platform's reason, so the sender can refer the person elsewhere."""
    rows = list(session.scalars(select(Referral).where(
        Referral.receiver_org_id == organization_id,
        Referral.status.in_(sorted(OPEN_STATES))).order_by(Referral.id)))
    cipher = configured_cipher()  # without a data key the reason code alone says why
    text = (reason_text or "")[:REASON_TEXT_MAX] if cipher is not None else None
    for referral in rows:
        transition(session, referral.id, None, "revoke_receiver", version=referral.version,
                   reason="receiver_unverified", reason_text=text, mail_config=mail_config,
                   cipher=cipher)
    return rows
