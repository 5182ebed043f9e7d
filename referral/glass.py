"""Break-the-glass: a supervisor (or an organisation admin) of either side who must see a
sensitive referral outside their normal access states a reason and gets access for a few
hours (``GLASS_HOURS``, TASHARUK_GLASS_HOURS); the organisation's other admins are told; the
grant and every read under it are audited and listed for review (``glass_review``). The
grantee or an admin of the organisation may end a grant early (``end_glass``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Conflict, Forbidden, NotFound
from data.members import org_admins
from data.models import AuditLog, GlassAccess, Referral, User
from data.models.base import utcnow
from referral.access import is_assigned, visible_referral
from referral.crypto import DataCipher, seal, unseal
from referral.lifecycle import reference
from referral.notify import MailConfig, notify

__all__ = ["GLASS_HOURS", "GLASS_ROLES", "active_glass", "end_glass", "glass_hours",
           "glass_review", "glass_state", "open_glass", "record_read"]

GLASS_HOURS = 3.0
GLASS_ROLES = frozenset({"supervisor", "org_admin"})  # admins too: a small one may be both
REASON_MAX = 500


def glass_hours() -> float:
    """How long a grant lasts (the app's TASHARUK_GLASS_HOURS; 3 outside an app)."""
    from flask import current_app, has_app_context

    return float(current_app.config.get("GLASS_HOURS", GLASS_HOURS)) if has_app_context() \
        else GLASS_HOURS


def open_glass(session: Session, referral_id: int, actor: Any, reason: Any,
               cipher: DataCipher | None, *, hours: float | None = None,
               now: dt.datetime | None = None,
               mail_config: MailConfig | None = None) -> GlassAccess:
    """Grant ``actor`` time-limited access to a sensitive referral of their organisation,
    with a reason; tell the organisation's other admins; audit it."""
    referral = visible_referral(session, referral_id, actor)
    if getattr(actor, "role", None) not in GLASS_ROLES or getattr(actor, "id", None) is None:
        raise Forbidden(_("Only a supervisor or an organisation admin may break the glass."),
                        field="reason")
    if not isinstance(reason, str | None):
        raise BadInput(_("%(field)s must be text.", field="reason"), field="reason")
    reason = (reason or "").strip()
    if not reason:
        raise BadInput(_("Breaking the glass needs a reason: why you must see this record."),
                       field="reason")
    if len(reason) > REASON_MAX:
        raise fields.too_long("reason", REASON_MAX)
    if not referral.sensitive or is_assigned(referral, actor):
        raise Conflict(_("You can already see this referral's details; no break-the-glass "
                         "access is needed."), code="glass_not_needed", field="reason")
    if cipher is None:
        raise BadInput(_("No data key configured: the reason is stored only encrypted (set "
                         "TASHARUK_DATA_KEYS)."), field="reason")
    now = now or utcnow()
    grant = GlassAccess(user_id=actor.id, organization_id=actor.organization_id,
                        referral_id=referral.id, reason_enc=seal(cipher, reason, "reason"),
                        started_at=now,
                        expires_at=now + dt.timedelta(hours=hours or glass_hours()))
    session.add(grant)
    session.flush()
    record(session, "glass.opened", user=actor, obj=referral, summary={
        "glass_id": grant.id, "expires_at": grant.expires_at.isoformat(), "reason_given": True})
    ref = reference(referral)
    admins = [u for u in org_admins(session, actor.organization_id) if u.id != actor.id]
    notify(session, admins, "glass.opened",
           f"فتح {actor.name} وصولاً طارئاً إلى الإحالة {ref} لمدة محدودة؛ راجعه.",
           f"{actor.name} opened break-the-glass access to referral {ref} for a limited time; "
           f"review it.", "/referrals/glass", config=mail_config)
    return grant


def active_glass(session: Session, referral: Referral, actor: Any,
                 now: dt.datetime | None = None) -> GlassAccess | None:
    """The actor's unexpired grant on this referral, if any."""
    uid = getattr(actor, "id", None)
    if uid is None or getattr(actor, "role", None) not in GLASS_ROLES:
        return None
    return session.scalars(select(GlassAccess).where(
        GlassAccess.user_id == uid, GlassAccess.referral_id == referral.id,
        GlassAccess.organization_id == actor.organization_id, GlassAccess.ended_at.is_(None),
        GlassAccess.expires_at > (now or utcnow())).order_by(
            GlassAccess.expires_at.desc()).limit(1)).first()


def glass_state(grant: GlassAccess, now: dt.datetime | None = None) -> str:
    """'active', 'ended' (ended early) or 'expired'."""
    if grant.ended_at is not None:
        return "ended"
    return "active" if grant.expires_at > (now or utcnow()) else "expired"


def end_glass(session: Session, grant_id: int, actor: Any,
              now: dt.datetime | None = None) -> GlassAccess:
    """End a grant before its time: by the grantee, or by an admin of its organisation
    (another organisation's grant is not found); audited. An expired or ended grant is a
    conflict that says which."""
    grant = session.get(GlassAccess, grant_id, with_for_update=True)
    org_id = getattr(actor, "organization_id", None)
    if grant is None or org_id is None or grant.organization_id != org_id:
        raise NotFound(_("Break-the-glass access %(id)s doesn't exist.", id=grant_id),
                       field="id")
    uid = getattr(actor, "id", None)
    if uid is None or (uid != grant.user_id and getattr(actor, "role", None) != "org_admin"):
        raise Forbidden(_("Only the person who opened this access or an admin of the "
                          "organisation may end it."))
    now = now or utcnow()
    state = glass_state(grant, now)
    if state == "ended":
        raise Conflict(_("This break-the-glass access was already ended."),
                       code="glass_ended", field="id")
    if state == "expired":
        raise Conflict(_("This break-the-glass access has already expired."),
                       code="glass_expired", field="id")
    grant.ended_at, grant.ended_by_id = now, uid
    session.flush()
    record(session, "glass.ended", user=actor, object_type="referral",
           object_id=grant.referral_id, summary={
               "glass_id": grant.id, "by_grantee": uid == grant.user_id,
               "expires_at": grant.expires_at.isoformat()})
    return grant


def record_read(session: Session, grant: GlassAccess, actor: Any, referral: Referral,
                what: str) -> None:
    """Audit one read made under a grant (what was read: the case page, the print form)."""
    record(session, "glass.read", user=actor, obj=referral,
           summary={"glass_id": grant.id, "what": what})


def glass_review(session: Session, organization_id: int, cipher: DataCipher | None,
                 *, limit: int = 200) -> list[dict]:
    """The organisation's grants, newest first, each with its reason, its reads and state."""
    grants = list(session.scalars(select(GlassAccess).where(
        GlassAccess.organization_id == organization_id)
        .order_by(GlassAccess.started_at.desc(), GlassAccess.id.desc()).limit(limit)))
    if not grants:
        return []
    ids = [str(g.id) for g in grants]
    key = AuditLog.summary["glass_id"].astext.label("glass_id")
    reads = dict(session.execute(
        select(key, func.count())
        .where(AuditLog.action == "glass.read",
               AuditLog.organization_id == organization_id,
               AuditLog.summary["glass_id"].astext.in_(ids))
        .group_by(key)).all())
    users = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_({g.user_id for g in grants} | {g.ended_by_id for g in grants
                                                   if g.ended_by_id is not None})))}
    referrals = {r.id: r for r in session.scalars(select(Referral).where(
        Referral.id.in_({g.referral_id for g in grants})))}
    now = utcnow()
    return [{"id": g.id, "user": users[g.user_id].name if g.user_id in users else None,
             "referral_id": g.referral_id,
             "reference": reference(referrals[g.referral_id]),
             "reason": unseal(cipher, g.reason_enc, None) if cipher else None,
             "user_id": g.user_id, "started_at": g.started_at, "expires_at": g.expires_at,
             "ended_at": g.ended_at,
             "ended_by": users[g.ended_by_id].name if g.ended_by_id in users else None,
             "state": glass_state(g, now), "active": glass_state(g, now) == "active",
             "reads": int(reads.get(str(g.id), 0))}
            for g in grants]
