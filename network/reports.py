"""Reports of inaccurate information on a listing (issue 22): a caseworker, or the person
through a public page with no account, says what is wrong (a coded kind and a short text);
the listing is asked for review (it counts in its freshness); its organisation's admins are
told, answer it (fixed or not changed, with a word) and the reporter is told: in-app when
signed in, and on the report's own page by its code for anyone.

The text is sealed at rest (``detail_enc``, the data keys) in case someone writes a person's
details in it, shown only to the organisation's admins and platform admins, never logged.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import fields
from data.audit import record
from data.errors import BadInput, Forbidden, NotFound
from data.members import org_admins
from data.models import REPORT_KINDS, Organization, Service, ServiceReport, User
from referral.crypto import configured_cipher, seal, unseal
from referral.notify import notify
from referral.search import Viewer

__all__ = ["ANSWERS", "DETAIL_MAX", "REPORT_KINDS", "answer_report", "organization_reports",
           "report_inaccuracy", "report_json", "report_status"]

DETAIL_MAX = 1000
ANSWERS = ("fixed", "not_changed")


def report_json(report: ServiceReport, svc: Service, *, detail: str | None = None
                ) -> dict[str, Any]:
    """A report as the API gives it (``detail`` only to the organisation's admins)."""
    return {"id": report.id, "code": report.code, "service_id": svc.id,
            "service_name_ar": svc.name_ar, "service_name_en": svc.name_en,
            "kind": report.kind, "status": report.status, "answer": report.answer,
            "created_at": report.created_at.isoformat() if report.created_at else None,
            "answered_at": report.answered_at.isoformat() if report.answered_at else None,
            **({"detail": detail} if detail is not None else {})}


def report_inaccuracy(session: Session, service_id: int, data: dict, reporter: User | None,
                      now: dt.datetime | None = None) -> ServiceReport:
    """Record a report on an active, shown listing; ask for its review; tell its admins."""
    now = now or dt.datetime.now(dt.UTC)
    svc = session.get(Service, service_id)
    if svc is None or svc.organization.verification != "verified":
        raise NotFound(_("Service %(id)s does not exist.", id=service_id))
    unknown = sorted(set(data) - {"kind", "detail"})
    if unknown:
        raise BadInput(_("Unknown field: %(name)s.", name=unknown[0]), field=unknown[0])
    kind = fields.choice(data, "kind", REPORT_KINDS)
    if kind is None:
        raise fields.missing("kind")
    detail = fields.text(data, "detail", max_len=DETAIL_MAX) or ""
    report = ServiceReport(code=secrets.token_urlsafe(9), service_id=svc.id, kind=kind,
                           detail_enc=seal(configured_cipher(), detail, "detail"),
                           reporter_user_id=reporter.id if reporter else None)
    session.add(report)
    svc.review_requested_at = svc.review_requested_at or now
    svc.review_request_reason = "report"
    session.flush()
    record(session, "service.reported", user=reporter, obj=svc,
           organization_id=svc.organization_id, summary={"kind": kind, "report": report.id})
    notify(session, org_admins(session, svc.organization_id), "directory_report",
           f"أُبلغ عن معلومات غير دقيقة في «{svc.name_ar}». يرجى الاطلاع والرد.",
           f"Someone reported inaccurate information on “{svc.name_en}”. Please look and "
           "answer.", f"/directory/organizations/{svc.organization_id}/reports")
    return report


def report_status(session: Session, code: str) -> tuple[ServiceReport, Service]:
    """A report by its code, for whoever holds the code (no detail)."""
    report = session.scalar(select(ServiceReport).where(ServiceReport.code == code[:16]))
    if report is None:
        raise NotFound(_("No report has this code."), field="code")
    svc = session.get(Service, report.service_id)
    assert svc is not None  # the report cascades with its service
    return report, svc


def _require_admin(viewer: Viewer, organization_id: int) -> None:
    if not (viewer.role == "platform_admin" or (viewer.role == "org_admin"
                                                 and viewer.organization_id == organization_id)):
        raise Forbidden(_("Only this organisation's administrators may change it."))


def organization_reports(session: Session, organization_id: int, viewer: Viewer
                         ) -> list[dict[str, Any]]:
    """The reports on an organisation's listings, open ones first, with their text."""
    if session.get(Organization, organization_id) is None:
        raise NotFound(_("Organisation %(id)s does not exist.", id=organization_id))
    _require_admin(viewer, organization_id)
    cipher = configured_cipher()
    rows = session.execute(
        select(ServiceReport, Service).join(Service, Service.id == ServiceReport.service_id)
        .where(Service.organization_id == organization_id)
        .order_by((ServiceReport.status != "open"), ServiceReport.id.desc())).all()
    return [report_json(r, s, detail=unseal(cipher, r.detail_enc) or "") for r, s in rows]


def answer_report(session: Session, report_id: int, data: dict, viewer: Viewer,
                  actor: User | None, now: dt.datetime | None = None) -> ServiceReport:
    """The organisation's answer: ``fixed`` (the listing counts as reviewed today) or
    ``not_changed``, with a short text; the reporter is told."""
    now = now or dt.datetime.now(dt.UTC)
    report = session.get(ServiceReport, report_id)
    if report is None:
        raise NotFound(_("No report %(id)s.", id=report_id), field="report_id")
    svc = session.get(Service, report.service_id)
    assert svc is not None
    _require_admin(viewer, svc.organization_id)
    outcome = fields.choice(data, "status", ANSWERS)
    if outcome is None:
        raise fields.missing("status")
    answer = fields.text(data, "answer", max_len=DETAIL_MAX) or ""
    report.status, report.answer, report.answered_at = outcome, answer, now
    report.answered_by_id = actor.id if isinstance(actor, User) else None
    if outcome == "fixed":
        svc.last_verified = now.date()
    if svc.review_request_reason == "report" and not session.scalar(
            select(ServiceReport.id).where(ServiceReport.service_id == svc.id,
                                           ServiceReport.status == "open",
                                           ServiceReport.id != report.id).limit(1)):
        svc.review_requested_at, svc.review_request_reason = None, None
    session.flush()
    record(session, "service.report_answered", user=actor, obj=svc,
           organization_id=svc.organization_id, summary={"report": report.id,
                                                         "status": outcome})
    if report.reporter_user_id is not None:
        reporter = session.get(User, report.reporter_user_id)
        notify(session, [reporter] if reporter else [], "directory_report_answered",
               f"ردّت المنظمة على بلاغكم عن «{svc.name_ar}».",
               f"The organisation answered your report on “{svc.name_en}”.",
               f"/directory/reports/{report.code}")
    return report
