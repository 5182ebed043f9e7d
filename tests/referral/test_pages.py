"""Referral pages: the form from a service, inbox/outbox with filters and overdue rows, the
case page with its timeline and buttons, the print view, bundles; Arabic and English."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from data.models import Case, Referral
from tests.kits.referrals import cipher, keys_fixture, new_referral, world_fixture  # noqa: F401


def _form(**over):
    data = {"age": "34", "sex": "female", "pcode": "SY07", "urgency": "normal",
            "needs": ["prot_pss"], "name": "Fatima Test", "phone": "+963 944 000111",
            "consent_method": "verbal", "consent_given_by": "the person",
            "consent_scope": ["age_sex", "needs", "note"], "note": "after displacement"}
    data.update(over)
    return data


def test_form_from_a_service_is_arabic_and_sends(client, login, session, world, keys):
    login(world.users[("sender", "caseworker")])
    page = client.get(f"/referrals/new?service_id={world.service.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'dir="rtl"' in html
    assert "إحالة جديدة" in html and "ما يجوز مشاركته" in html
    assert world.service.name_ar in html
    resp = client.post(f"/referrals/new?service_id={world.service.id}", data=_form())
    assert resp.status_code == 302
    referral = session.scalars(select(Referral).where(
        Referral.receiver_org_id == world.receiver_org.id)).one()
    assert referral.status == "sent"
    assert resp.headers["Location"].endswith(f"/referrals/{referral.id}")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "مُرسلة" in page and "Fatima Test" in page and "التسلسل الزمني" in page
    assert "أنثى" in page and "شفهية" in page and "عادية" in page  # labels, not codes


def test_the_form_records_a_guardian_s_consent_with_purpose_and_end(client, login, session,
                                                                     world, keys):
    """Issue 23: method, purpose and end date from the page reach the consent record."""
    login(world.users[("sender", "caseworker")])
    resp = client.post(f"/referrals/new?service_id={world.service.id}", data=_form(
        consent_method="guardian", consent_purpose="child protection follow-up",
        consent_expires="2030-06-30"))
    assert resp.status_code == 302
    case = session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert (case.consent.method, case.consent.purpose) == ("guardian",
                                                           "child protection follow-up")
    assert case.consent.expires_at.date() == dt.date(2030, 6, 30)
    assert case.consent.organization_ids == [world.receiver_org.id]


@pytest.mark.parametrize("change,message,status", [
    ({"consent_method": ""}, "دون موافقة مسجّلة", 400),
    ({"age": "300"}, "120", 400),
    ({"phone": "call me"}, "الهاتف: أرقام", 400),
    ({"consent_method": "", "consent_override_reason": "child at risk"}, "لمدير المنظمة", 403),
    ({"consent_at": "2999-01-01"}, "في المستقبل", 400),
    ({"consent_expires": "2020-01-01"}, "سارية حتى تاريخ بعد اليوم", 400),  # issue 23
    ({"consent_purpose": "p" * 301}, "consent_purpose-error", 400),
])
def test_form_errors_are_shown_and_nothing_is_written(client, login, session, world, keys,
                                                      change, message, status):
    login(world.users[("sender", "caseworker")])
    n = session.scalar(select(func.count()).select_from(Case))
    resp = client.post(f"/referrals/new?service_id={world.service.id}", data=_form(**change))
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Case)) == n


def test_form_needs_a_known_service(client, login, world):
    login(world.users[("sender", "caseworker")])
    assert client.get("/referrals/new").status_code == 400
    assert client.get("/referrals/new?service_id=99999999").status_code == 404


def test_inbox_filters_and_overdue_highlighting(client, login, session, world):
    late = new_referral(session, world, status="sent", urgency="high")
    late.due_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    on_time = new_referral(session, world, status="sent")
    done = new_referral(session, world, status="accepted")
    draft = new_referral(session, world, status="draft")
    session.flush()
    login(world.users[("receiver", "viewer")])
    html = client.get("/referrals/in").get_data(as_text=True)
    for r in (late, on_time, done):
        assert f"/referrals/{r.id}\"" in html
    assert f"/referrals/{draft.id}\"" not in html  # drafts stay with the sender
    assert html.count('class="overdue"') == 1 and "متأخرة" in html
    only_late = client.get("/referrals/in?overdue=1").get_data(as_text=True)
    assert f"/referrals/{late.id}\"" in only_late and f"/referrals/{on_time.id}\"" not in only_late
    accepted = client.get("/referrals/in?status=accepted").get_data(as_text=True)
    assert f"/referrals/{done.id}\"" in accepted and f"/referrals/{late.id}\"" not in accepted
    high = client.get("/referrals/in?urgency=high").get_data(as_text=True)
    assert f"/referrals/{late.id}\"" in high and f"/referrals/{done.id}\"" not in high
    svc = client.get(f"/referrals/in?service_id={world.service.id}").get_data(as_text=True)
    assert f"/referrals/{late.id}\"" in svc
    assert client.get("/referrals/in?status=bogus").status_code == 400
    first = client.get("/referrals/in?limit=2").get_data(as_text=True)
    assert "offset=2" in first and "الصفحة التالية" in first
    last = client.get("/referrals/in?limit=2&offset=2").get_data(as_text=True)
    assert "offset=4" not in last and last.count("/referrals/") >= 1
    login(world.users[("sender", "caseworker")])
    out = client.get("/referrals/out?lang=en").get_data(as_text=True)
    assert "Referrals sent" in out and f"/referrals/{draft.id}\"" in out


def test_case_page_buttons_and_stale_clicks(client, login, session, world):
    referral = new_referral(session, world, status="sent")
    login(world.users[("receiver", "caseworker")])
    html = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert 'value="accept"' in html and 'value="decline"' in html
    assert 'value="complete"' not in html
    version = referral.version
    resp = client.post(f"/referrals/{referral.id}/transition",
                       data={"action": "accept", "version": version, "note": "we call today"})
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(Referral, referral.id).status == "accepted"
    # a second click from the old page: stale, shown as a message, nothing changes
    resp = client.post(f"/referrals/{referral.id}/transition",
                       data={"action": "start", "version": version}, follow_redirects=True)
    assert "أعد تحميل الصفحة" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Referral, referral.id).status == "accepted"
    client.post(f"/referrals/{referral.id}/note", data={"note": "left a voicemail"})
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "left a voicemail" in page and "we call today" in page


def test_decline_from_the_page_needs_a_reason(client, login, session, world):
    referral = new_referral(session, world, status="sent")
    login(world.users[("receiver", "org_admin")])
    client.post(f"/referrals/{referral.id}/transition",
                data={"action": "decline", "version": referral.version})
    session.expire_all()
    assert session.get(Referral, referral.id).status == "sent"
    client.post(f"/referrals/{referral.id}/transition",
                data={"action": "decline", "version": referral.version,
                      "reason": "outside_area"})
    session.expire_all()
    assert session.get(Referral, referral.id).reason_code == "outside_area"
    page = client.get(f"/referrals/{referral.id}").get_data(as_text=True)
    assert "خارج منطقة التغطية" in page


@pytest.mark.parametrize("who,status", [(("other", "caseworker"), 404),
                                        (("receiver", "planner"), 403)])
def test_outsiders_cannot_open_the_case_page(client, login, session, world, who, status):
    referral = new_referral(session, world, status="sent")
    login(world.users[who])
    assert client.get(f"/referrals/{referral.id}").status_code == status


def test_print_view_has_consented_data_only(client, login, session, world, app, keys):
    referral = new_referral(session, world, status="sent", data_cipher=cipher(app),
                            name="Fatima Al-Test", phone="+963 944 123456")
    login(world.users[("sender", "caseworker")])
    html = client.get(f"/referrals/{referral.id}/print").get_data(as_text=True)
    assert "نموذج الإحالة" in html
    assert "Fatima Al-Test" in html  # "name" is in the consented scope
    assert "944 123456" not in html  # "phone" is not
    assert "SY07" in html and "needs PSS" in html
    login(world.users[("receiver", "caseworker")])
    assert client.get(f"/referrals/{referral.id}/print").status_code == 403


@pytest.mark.parametrize(("page", "lang", "heading"), [
    ("print", "en", "Referral form"), ("print", "ar", "نموذج الإحالة"),
    ("consent", "en", "Consent receipt"), ("consent", "ar", "إيصال الموافقة"),
])
def test_print_pages_have_one_header_that_matches_their_title(client, login, session, world,
                                                              app, keys, page, lang, heading):
    """The referral form and the consent receipt show their header once: one heading (what
    and whose), one way back, and a browser title saying the same as the heading."""
    import re

    referral = new_referral(session, world, status="sent", data_cipher=cipher(app))
    login(world.users[("sender", "caseworker")])
    html = client.get(f"/referrals/{referral.id}/{page}?lang={lang}").get_data(as_text=True)
    h1s = re.findall(r"<h1>(.*?)</h1>", html, re.S)
    titles = re.findall(r"<title>(.*?)</title>", html, re.S)
    assert len(h1s) == 1 and len(titles) == 1, html
    plain = re.sub(r"<[^>]+>", "", h1s[0])
    from referral.lifecycle import reference

    code = reference(referral) if page == "print" else referral.case.case_code
    assert plain == titles[0] == f"{heading} · {code}"
    back = re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)
    assert back.count((f"/referrals/{referral.id}", "Back" if lang == "en" else "رجوع")) == 1


def test_bundle_page_proposes_and_links_to_the_form(client, login, session, make, world):
    legal = make.service(service_type_code="prot_legal")
    login(world.users[("sender", "caseworker")])
    html = client.get("/referrals/bundle?needs=prot_pss&needs=prot_legal&pcode=SY07&age=30"
                      "&sex=female&lang=en").get_data(as_text=True)
    assert "2 organisations" in html
    assert f"service_id={world.service.id}" in html and f"service_id={legal.id}" in html
    page = client.get(f"/referrals/new?service_id={world.service.id}&service_id={legal.id}")
    assert page.status_code == 200
    resp = client.post(f"/referrals/new?service_id={world.service.id}&service_id={legal.id}",
                       data=_form(name="", phone=""))
    assert resp.status_code == 302
    case = session.scalars(select(Case).order_by(Case.id.desc()).limit(1)).one()
    assert sorted(r.service_id for r in case.referrals) == sorted([world.service.id, legal.id])
