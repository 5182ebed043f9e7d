"""Freshness of listings (issue 22): each service declares how often it is reviewed; it is
fresh, due or overdue accordingly; due services' organisation admins get a signed one-click
review link that works without signing in, expires, works once and records who answered what.

The rule (the same in migration ``0033_freshness`` for the search rows, where *overdue* ranks
as *stale* did): a listing reviewed ``age`` days ago with cadence ``c`` is fresh while
``age <= c``, due up to ``c + grace`` (a quarter of the cadence, at least 7 days), overdue
after that or when never reviewed. A review asked for by the referral loop (a decline "not
offered any more", "not eligible" although the listing's criteria fit, a report) makes a
fresh listing due until its organisation answers.

Links are ``itsdangerous`` tokens over the link's row id, signed with ``SECRET_KEY`` under
their own salt: a forged or altered token fails the signature, an old one its age, and a used
one its row (``used_at``); none of them changes anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, Date, func, literal, or_, select
from sqlalchemy.orm import Session

from data.audit import record
from data.members import org_admins
from data.models import REVIEW_ANSWERS, REVIEW_CADENCES, ReviewLink, Service
from referral.notify import notify

__all__ = ["LINK_DAYS", "REVIEW_ANSWERS", "REVIEW_CADENCES", "Freshness", "LinkProblem",
           "answer_review", "freshness", "grace_days", "open_review", "overdue",
           "overdue_clause", "overdue_counts", "review_path", "review_token",
           "send_review_links"]

LINK_DAYS = 14  # a review link expires after two weeks
SALT = "tasharuk.review-link"
STATES = ("fresh", "due", "overdue")


def grace_days(cadence: int) -> int:
    """Days after the cadence during which a listing is due rather than overdue."""
    return max(7, cadence // 4)


@dataclass(frozen=True)
class Freshness:
    """A listing's state and the dates behind it."""

    state: str  # fresh, due, overdue
    review_every_days: int
    review_due_on: dt.date | None  # None: never reviewed
    review_requested: str | None  # why the loop asked for a review, while it waits

    def as_json(self) -> dict[str, Any]:
        """The API's ``freshness`` object."""
        return {"state": self.state, "review_every_days": self.review_every_days,
                "review_due_on": self.review_due_on.isoformat() if self.review_due_on else None,
                "review_requested": self.review_requested}


def freshness(svc: Service, today: dt.date | None = None) -> Freshness:
    """Fresh, due or overdue, by the declared cadence and any review asked for."""
    today = today or dt.date.today()
    cadence = svc.review_every_days or 180
    if svc.last_verified is None:
        return Freshness("overdue", cadence, None, svc.review_request_reason)
    due_on = svc.last_verified + dt.timedelta(days=cadence)
    age = (today - svc.last_verified).days
    if age > cadence + grace_days(cadence):
        state = "overdue"
    elif age > cadence or svc.review_requested_at is not None:
        state = "due"
    else:
        state = "fresh"
    return Freshness(state, cadence, due_on, svc.review_request_reason)


def overdue(svc: Service, today: dt.date | None = None) -> bool:
    """Overdue for review by its own cadence: the one "stale" rule of badges, reminders and
    the API (the search rows follow the same rule, migration 0033_freshness)."""
    return freshness(svc, today).state == "overdue"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def review_token(link: ReviewLink, secret: str) -> str:
    """The signed token of ``link`` (its id), for the URL."""
    return _serializer(secret).dumps({"l": link.id})


# The e-mail's one-click answers: the answer rides in the link, and the page opened by it
# sends the answer by a script (prefetching mail scanners run none, so they answer nothing).
ONE_CLICK = (("still_accurate", "ما زالت صحيحة · Still accurate"),
             ("needs_changes", "تحتاج إلى تعديل · Needs changes"),
             ("closed", "أُغلقت الخدمة · Service closed"))


def review_path(link: ReviewLink, secret: str, answer: str | None = None) -> str:
    """The review page's path for ``link``; with ``answer``, its one-click form."""
    path = f"/directory/review/{review_token(link, secret)}"
    return f"{path}?answer={answer}" if answer else path


class LinkProblem(Exception):
    """Why a review link cannot be used: ``forged``, ``expired`` or ``used``."""

    def __init__(self, kind: str, link: ReviewLink | None = None):
        super().__init__(kind)
        self.kind = kind
        self.link = link


def open_review(session: Session, token: str, secret: str,
                now: dt.datetime | None = None) -> ReviewLink:
    """The link behind ``token``, or LinkProblem (forged, expired, used); changes nothing."""
    now = now or dt.datetime.now(dt.UTC)
    try:
        payload = _serializer(secret).loads(token, max_age=LINK_DAYS * 86400)
    except SignatureExpired:
        raise LinkProblem("expired") from None
    except BadSignature:
        raise LinkProblem("forged") from None
    link_id = payload.get("l") if isinstance(payload, dict) else None
    link = session.get(ReviewLink, link_id) if isinstance(link_id, int) else None
    if link is None:
        raise LinkProblem("forged")
    if link.used_at is not None:
        raise LinkProblem("used", link)
    if link.expires_at <= now:
        raise LinkProblem("expired", link)
    return link


def answer_review(session: Session, token: str, answer: str, secret: str,
                  now: dt.datetime | None = None) -> ReviewLink:
    """Apply the answer of a review link once: ``still_accurate`` marks the listing reviewed
    today, ``needs_changes`` records that its organisation will change it (still due),
    ``closed`` takes it out of search (inactive). The link is spent and the audit log says
    who answered what."""
    now = now or dt.datetime.now(dt.UTC)
    if answer not in REVIEW_ANSWERS:
        raise LinkProblem("forged")
    link = open_review(session, token, secret, now)
    # one answer per link even when two clicks race: the row is locked and checked again
    session.refresh(link, with_for_update=True)
    if link.used_at is not None:
        raise LinkProblem("used", link)
    svc = session.get(Service, link.service_id)
    assert svc is not None  # the link row cascades with its service
    link.used_at, link.answer = now, answer
    if answer == "still_accurate":
        svc.last_verified = now.date()
        svc.review_requested_at, svc.review_request_reason = None, None
    elif answer == "needs_changes":
        svc.review_requested_at = svc.review_requested_at or now
        svc.review_request_reason = "needs_changes"
    else:
        svc.status = "inactive"
        svc.review_requested_at, svc.review_request_reason = None, None
    session.flush()
    record(session, "service.reviewed", user=link.user_id, obj=svc,
           organization_id=svc.organization_id,
           summary={"answer": answer, "review_link": link.id})
    return link


def due_services(session: Session, today: dt.date) -> list[Service]:
    """Active services due or overdue for review (a cheap SQL pre-filter, then the rule)."""
    soonest = today - dt.timedelta(days=min(REVIEW_CADENCES))
    rows = session.scalars(select(Service).where(
        Service.status == "active",
        or_(Service.last_verified.is_(None), Service.last_verified < soonest,
            Service.review_requested_at.is_not(None)))
        .order_by(Service.organization_id, Service.id))
    return [s for s in rows if freshness(s, today).state != "fresh"]


def overdue_clause(today: dt.date) -> ColumnElement[bool]:
    """The rule of ``overdue`` in SQL, for a WHERE: never reviewed, or reviewed before today
    less the cadence and its grace (``grace_days``: a quarter, at least 7 days)."""
    cadence = Service.review_every_days
    return or_(Service.last_verified.is_(None),
               Service.last_verified < literal(today, Date)
               - (cadence + func.greatest(7, cadence // 4)))


def overdue_counts(session: Session, today: dt.date) -> dict[int, int]:
    """How many active services each organisation has overdue for review: one statement,
    which reads only the overdue rows' organisations (not every listing a month old)."""
    return dict(session.execute(
        select(Service.organization_id, func.count())
        .where(Service.status == "active", overdue_clause(today))
        .group_by(Service.organization_id).order_by(Service.organization_id)).tuples().all())


def send_review_links(session: Session, secret: str, *, today: dt.date | None = None,
                      now: dt.datetime | None = None) -> dict[str, int]:
    """For each due or overdue service without a live link, one signed link per admin of
    its organisation, sent as a notification (and e-mail when mail is on)."""
    now = now or dt.datetime.now(dt.UTC)
    today = today or now.date()
    services = due_services(session, today)
    live = set(session.scalars(select(ReviewLink.service_id).where(
        ReviewLink.used_at.is_(None), ReviewLink.expires_at > now,
        ReviewLink.service_id.in_([s.id for s in services]))))
    links = 0
    for svc in services:
        if svc.id in live:
            continue
        for admin in org_admins(session, svc.organization_id):
            link = ReviewLink(service_id=svc.id, user_id=admin.id,
                              expires_at=now + dt.timedelta(days=LINK_DAYS))
            session.add(link)
            session.flush()
            links += notify(
                session, [admin], "directory_review",
                f"هل ما زالت معلومات «{svc.name_ar}» صحيحة؟ أجيبوا بنقرة واحدة، دون تسجيل "
                "الدخول: ما زالت صحيحة، أو تحتاج إلى تعديل، أو أُغلقت الخدمة.",
                f"Is the listing “{svc.name_en}” still accurate? Answer in one click, "
                "without signing in: still accurate, needs changes, or closed.",
                review_path(link, secret),
                email_links=[(label, review_path(link, secret, answer))
                             for answer, label in ONE_CLICK])
    return {"services": len(services), "links": links}
