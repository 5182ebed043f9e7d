"""Whether a person fits the services they are referred to (age, sex, capacity): the same
rules the search applies, so a referral is never sent silently to a service that would hide
itself from that search; a reason lets a caseworker proceed anyway, and it is audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from data.audit import record
from data.errors import BadInput
from data.fields import too_long
from data.models import Referral, Service

__all__ = ["REASON_MAX", "audit_override", "check_eligibility", "problems"]

REASON_MAX = 500


def problems(services: Sequence[Service], age: int | None, sex: str) -> list[dict]:
    """What does not fit, per service: ``{"service_id", "code", "message"}`` (code: age,
    sex, full)."""
    out = []
    for svc in services:
        def add(code: str, message: str, svc: Service = svc) -> None:
            out.append({"service_id": svc.id, "code": code, "message": message})

        name = (svc.name_ar if str(get_locale() or "") == "ar" else svc.name_en) or svc.name_ar
        if age is not None and svc.min_age is not None and age < svc.min_age:
            add("age", _("%(service)s is for people aged %(min)s or more; the person is "
                         "%(age)s.", service=name, min=svc.min_age, age=age))
        if age is not None and svc.max_age is not None and age > svc.max_age:
            add("age", _("%(service)s is for people aged up to %(max)s; the person is "
                         "%(age)s.", service=name, max=svc.max_age, age=age))
        if svc.sex in ("female", "male") and sex in ("female", "male") and sex != svc.sex:
            add("sex", _("%(service)s is for women and girls only.", service=name)
                if svc.sex == "female" else
                _("%(service)s is for men and boys only.", service=name))
        if svc.availability == "full":
            add("full", _("%(service)s says it is full (no capacity now).", service=name))
    return out


def check_eligibility(services: Sequence[Service], age: int | None, sex: str,
                      reason: Any) -> tuple[list[dict], str | None]:
    """The problems and the caseworker's reason to proceed; BadInput (field
    ``eligibility_override_reason``, the problems in ``details``) when there are problems and
    no reason."""
    found = problems(services, age, sex)
    if reason is not None and not isinstance(reason, str):
        raise BadInput(_("%(field)s must be text.", field="eligibility_override_reason"),
                       field="eligibility_override_reason")
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise too_long("eligibility_override_reason", REASON_MAX)
    if found and not reason:
        raise BadInput(" ".join(p["message"] for p in found) + " " + _(
            "Give a reason to refer anyway, or choose another service."),
            field="eligibility_override_reason", details={"problems": found})
    return found, (reason if found else None)


def audit_override(session: Session, actor: Any, referrals: Sequence[Referral],
                   found: list[dict], reason: str) -> None:
    """One audit entry per referral sent despite a problem, with the problems and the reason."""
    for referral in referrals:
        mine = [p["code"] for p in found if p["service_id"] == referral.service_id]
        if mine:
            record(session, "referral.eligibility_override", user=actor, obj=referral,
                   summary={"problems": mine, "reason": reason})
