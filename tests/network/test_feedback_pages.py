"""Feedback's pages (issue 22): the referring caseworker hands a code from the referral's page
(a printable slip in Arabic and English), platform admins moderate comments with a reason, the
organisation reads its figures per service and the approved comments."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from data.models import AuditLog, FeedbackCode, ServiceFeedback
from network.feedback import MIN_FEEDBACK, submit_feedback
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401


def _slip_code(html: str) -> str:
    return re.search(r'<strong class="code" dir="ltr">([A-Z0-9]+)</strong>', html)[1]


@pytest.mark.parametrize(("status", "handed"), [
    ("sent", False), ("accepted", True), ("in_progress", True), ("completed", True),
    ("closed_unmet", True), ("declined", False), ("withdrawn", False)])
def test_the_referral_page_hands_a_feedback_code_once_the_person_is_taken_in(
        client, login, session, world, status, handed):
    referral = new_referral(session, world, status=status)
    login(world.users[("sender", "caseworker")])
    page = client.get(f"/referrals/{referral.id}?lang=en").get_data(as_text=True)
    assert (f"/referrals/{referral.id}/feedback-code" in page) == handed
    before = session.scalar(select(FeedbackCode.id).order_by(FeedbackCode.id.desc()))
    resp = client.post(f"/referrals/{referral.id}/feedback-code?lang=en")
    after = session.scalar(select(FeedbackCode.id).order_by(FeedbackCode.id.desc()))
    if not handed:
        assert resp.status_code == 302 and after == before  # the message is on the case page
        return
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    code = session.get(FeedbackCode, after)
    assert code.service_id == world.service.id and _slip_code(html) == code.code
    # bilingual whatever the caseworker's language, with the link the person opens
    assert 'lang="ar" dir="rtl"' in html and 'lang="en" dir="ltr"' in html
    assert "كيف كانت التجربة؟" in html and "How did it go?" in html
    assert f"/directory/feedback/{code.code}" in html
    assert str(referral.uuid) not in html and f"/referrals/{referral.id}/feedback" not in html
    # the person answers with it, as with a code from the service page
    assert client.post(f"/directory/feedback/{code.code}", data={"provided": "yes"}
                       ).status_code == 200


def test_only_the_referring_side_hands_codes(client, login, session, world):
    referral = new_referral(session, world, status="completed")
    login(world.users[("receiver", "caseworker")])
    assert f"/referrals/{referral.id}/feedback-code" not in client.get(
        f"/referrals/{referral.id}").get_data(as_text=True)
    assert client.post(f"/referrals/{referral.id}/feedback-code").status_code == 403
    login(world.users[("other", "caseworker")])
    assert client.post(f"/referrals/{referral.id}/feedback-code").status_code == 404
    assert session.scalar(select(FeedbackCode.id).where(
        FeedbackCode.service_id == world.service.id)) is None


def _comment(app, session, make, svc, text: str) -> ServiceFeedback:
    """A person's answer with a comment, sealed with the app's data keys."""
    from network.feedback import issue_code

    code = issue_code(session, svc.id, make.user("caseworker"))
    with app.app_context():
        return submit_feedback(session, code.code, {"provided": "yes", "respectful": "no",
                                                    "comment": text})


def test_a_platform_admin_moderates_comments_with_a_reason(app, client, login, make, session):
    svc = make.service(name_en="Moderated clinic")
    keep = _comment(app, session, make, svc, "MARKER-KEEP the staff listened")
    drop = _comment(app, session, make, svc, "MARKER-DROP Dr Hassan at the desk")
    login(make.user("platform_admin"))
    page = client.get("/directory/feedback/moderation?lang=en").get_data(as_text=True)
    assert "Comments to moderate" in page and "MARKER-KEEP" in page and "MARKER-DROP" in page
    # a rejection without a reason: a clear 400 next to its field, nothing decided
    resp = client.post(f"/directory/feedback/{drop.id}/moderate?lang=en",
                       data={"decision": "rejected", "reason": "  "})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and f'id="reason-{drop.id}-error"' in html
    assert "Say why the comment is rejected." in html
    session.refresh(drop)
    assert drop.moderation == "pending"
    assert client.post(f"/directory/feedback/{drop.id}/moderate", data={
        "decision": "rejected", "reason": "names a staff member"}).status_code == 302
    assert client.post(f"/directory/feedback/{keep.id}/moderate", data={
        "decision": "approved"}).status_code == 302
    session.refresh(drop)
    session.refresh(keep)
    assert (drop.moderation, keep.moderation) == ("rejected", "approved")
    entry = session.scalars(select(AuditLog).where(AuditLog.action == "feedback.moderated",
                                                   AuditLog.object_id == str(drop.id))).one()
    assert entry.summary["reason"] == "names a staff member"
    assert "MARKER" not in str(entry.summary)  # the comment itself is not copied
    after = client.get("/directory/feedback/moderation?lang=en").get_data(as_text=True)
    assert "MARKER" not in after and "No comment waits for moderation." in after
    arabic = client.get("/directory/feedback/moderation?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "تعليقات بانتظار المراجعة" in arabic


def test_a_bad_decision_is_a_400_and_an_unknown_comment_a_404(app, client, login, make,
                                                              session):
    svc = make.service()
    row = _comment(app, session, make, svc, "fine")
    login(make.user("platform_admin"))
    resp = client.post(f"/directory/feedback/{row.id}/moderate?lang=en",
                       data={"decision": "maybe", "reason": "x"})
    assert resp.status_code == 400 and "decision must be one of" in resp.get_data(as_text=True)
    assert client.post("/directory/feedback/999999/moderate",
                       data={"decision": "approved"}).status_code == 404


def test_the_organisation_reads_its_figures_and_approved_comments(app, client, login, make,
                                                                   session):
    org = make.org()
    svc = make.service(organization=org, name_en="Answered clinic")
    quiet = make.service(organization=org, name_en="Quiet clinic")
    approved = _comment(app, session, make, svc, "MARKER-OK kind staff")
    _comment(app, session, make, svc, "MARKER-WAITING not read yet")
    approved.moderation = "approved"
    session.flush()
    login(make.user("org_admin", org))
    assert f"/directory/organizations/{org.id}/feedback" in client.get(
        "/accounts/organization").get_data(as_text=True)
    page = client.get(f"/directory/organizations/{org.id}/feedback?lang=en"
                      ).get_data(as_text=True)
    rows = page[page.index("<tbody>"):page.index("</tbody>")]
    answered = rows[rows.index("Answered clinic"):]
    assert "2 answers" in answered[:answered.index("</tr>")]  # below the minimum: its own see
    assert "received the service: 100%" in answered[:answered.index("</tr>")]
    assert "not enough answers yet" in rows[rows.index("Quiet clinic"):]
    assert quiet.id and "MARKER-OK" in page and "MARKER-WAITING" not in page
    assert str(MIN_FEEDBACK) in page
    arabic = client.get(f"/directory/organizations/{org.id}/feedback?lang=ar"
                        ).get_data(as_text=True)
    assert 'dir="rtl"' in arabic and "الأرقام لكل خدمة" in arabic


def test_another_organisation_does_not_read_them(client, login, make):
    org = make.org()
    login(make.user("org_admin", make.org()))
    assert client.get(f"/directory/organizations/{org.id}/feedback").status_code == 403
    login(make.user("caseworker", org))
    assert client.get(f"/directory/organizations/{org.id}/feedback").status_code == 403
