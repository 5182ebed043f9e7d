"""Audit of issues 4 and 9: the items the other referral tests left open (sensitive views on the
pages audited, expiry across a Friday-Saturday weekend, every API route in the OpenAPI
document)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from data.models import AuditLog, Notification, Referral
from referral.expiry import expire_overdue
from referral.lifecycle import transition
from tests.kits.referrals import cipher, keys_fixture, new_referral, world_fixture  # noqa: F401

THURSDAY = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def _audits(session, action: str, referral) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(
        AuditLog.action == action, AuditLog.object_id == str(referral.id))
        .order_by(AuditLog.id)))


def test_sensitive_case_and_print_pages_are_audited_and_hide_details(client, login, session,
                                                                     make, world, keys):
    gbv = make.service(organization=world.receiver_org, service_type_code="prot_pss",
                       sensitive=True)
    referral = new_referral(session, world, status="accepted", service=gbv,
                            data_cipher=cipher(client.application))
    session.flush()
    login(world.users[("receiver", "org_admin")])  # not the assigned caseworker
    html = client.get(f"/referrals/{referral.id}?lang=en").get_data(as_text=True)
    assert "Fatima" not in html and "needs PSS" not in html
    login(world.users[("receiver", "caseworker")])  # assigned when accepting
    html = client.get(f"/referrals/{referral.id}?lang=en").get_data(as_text=True)
    assert "Fatima Al-Test" in html
    views = _audits(session, "referral.view_sensitive", referral)
    assert [(a.user_id, a.summary["details_shown"]) for a in views] == [
        (world.users[("receiver", "org_admin")].id, False),
        (world.users[("receiver", "caseworker")].id, True)]
    login(world.users[("sender", "caseworker")])
    with client.get(f"/referrals/{referral.id}/print") as resp:
        assert resp.status_code == 200
    (printed,) = _audits(session, "referral.print_sensitive", referral)
    assert printed.user_id == world.users[("sender", "caseworker")].id


def test_sensitive_notifications_carry_only_a_reference_and_a_link(session, make, world):
    gbv = make.service(organization=world.receiver_org, service_type_code="prot_pss",
                       sensitive=True, name_en="GBV case management", name_ar="إدارة حالات")
    referral = new_referral(session, world, status="accepted", service=gbv)
    rows = session.scalars(select(Notification).where(
        Notification.link == f"/referrals/{referral.id}")).all()
    assert len(rows) >= 2  # "new referral" to the receiver, "accepted" to the sender
    for row in rows:
        text = f"{row.text_ar} {row.text_en}"
        assert "GBV" not in text and "إدارة حالات" not in text and "PSS" not in text
        assert "Fatima" not in text and "Sender NGO" not in text


def _sent_on_thursday(session, world, make, response_days: int):
    svc = make.service(organization=world.receiver_org, service_type_code="prot_pss",
                       coverage=["SY07"], response_days=response_days)
    referral = new_referral(session, world, status="draft", service=svc)
    transition(session, referral.id, world.users[("sender", "caseworker")], "send",
               version=referral.version, now=THURSDAY)
    return referral


@pytest.mark.parametrize("legacy", [False, True], ids=["due_at", "derived"])
def test_expiry_counts_working_days_with_friday_and_saturday_off(session, make, world, legacy):
    one_day = _sent_on_thursday(session, world, make, response_days=1)  # due Sunday 09:00
    default = _sent_on_thursday(session, world, make, response_days=5)  # due next Thursday
    if legacy:  # rows without a stored due time: derived from sent_at and response_days
        one_day.due_at = default.due_at = None
    session.flush()
    saturday_night = dt.datetime(2026, 11, 28, 23, 0, tzinfo=dt.UTC)
    assert expire_overdue(session, now=saturday_night) == 0
    sunday = dt.datetime(2026, 11, 29, 9, 1, tzinfo=dt.UTC)
    assert expire_overdue(session, now=sunday) == 1
    session.expire_all()
    assert session.get(Referral, one_day.id).status == "expired"
    assert session.get(Referral, default.id).status == "sent"
    wednesday = dt.datetime(2026, 12, 2, 23, 0, tzinfo=dt.UTC)
    assert expire_overdue(session, now=wednesday) == 0
    thursday = dt.datetime(2026, 12, 3, 9, 1, tzinfo=dt.UTC)
    assert expire_overdue(session, now=thursday) == 1
    assert session.get(Referral, default.id).status == "expired"


def test_service_response_time_defaults_to_five_working_days(session, make, world):
    svc = make.service(organization=world.receiver_org, service_type_code="prot_pss")
    session.flush()
    session.refresh(svc)
    assert svc.response_days == 5


def _doc_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?[^>]+>", "{}", rule.removeprefix("/api/v1")) or "/"


def test_every_api_route_is_in_the_openapi_document(app):
    """Every /api/v1 route and method (referrals and partners included) is described."""
    from web.api.openapi import document

    with app.app_context():
        doc = document()
    described = {(re.sub(r"\{[^}]+\}", "{}", path), method.upper())
                 for path, item in doc["paths"].items() for method in item
                 if method in ("get", "post", "put", "patch", "delete")}
    missing = []
    seen = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = _doc_path(rule.rule)
            if "<action>" in rule.rule:  # one documented path per allowed action
                pattern = re.escape(_doc_path(rule.rule.replace("<action>", "ACTION")))
                pattern = pattern.replace("ACTION", "[a-z_]+")
                ok = any(m == method and re.fullmatch(pattern, p) for p, m in described)
            else:
                ok = (path, method) in described
            seen.add(rule.endpoint)
            if not ok:
                missing.append((rule.endpoint, path, method))
    assert not missing
    for endpoint in ("api.create_referral", "api.list_referrals", "api.get_referral",
                     "api.transition_referral", "api.answer_partnership_request"):
        assert endpoint in seen


def test_a_search_result_links_to_the_prefilled_referral_form(client, login, session, world):
    import html as htmlmod

    session.flush()
    query = "/directory/?need=prot_pss&pcode=SY07&age=30&sex=female"
    anonymous = client.get(query).get_data(as_text=True)
    assert world.service.name_ar in anonymous and "/referrals/new" not in anonymous
    login(world.users[("sender", "caseworker")])
    page = client.get(query).get_data(as_text=True)
    links = [htmlmod.unescape(u) for u in re.findall(r'href="(/referrals/new\?[^"]+)"', page)]
    (link,) = [u for u in links if f"service_id={world.service.id}&" in u + "&"]
    assert "أحِل" in page or "إحالة" in page
    form = client.get(link).get_data(as_text=True)
    assert 'value="30"' in form and 'value="SY07"' in form
    assert re.search(r'<option selected value="female"|value="female" selected', form)
    login(world.users[("receiver", "viewer")])  # viewers cannot refer: no link
    assert "/referrals/new" not in client.get(query).get_data(as_text=True)


def test_without_a_data_key_the_form_does_not_ask_for_name_and_phone(client, login, session,
                                                                      world, app, monkeypatch):
    monkeypatch.setitem(app.config, "TASHARUK_DATA_KEYS", "")
    monkeypatch.setitem(app.config, "DATA_KEYS", "")
    session.flush()
    login(world.users[("sender", "caseworker")])
    url = f"/referrals/new?service_id={world.service.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="name"' not in page and 'name="phone"' not in page
    assert "مفتاح تشفير" in page and "رمز الحالة" in page
    assert "TASHARUK_DATA_KEYS" in client.get(url + "&lang=en").get_data(as_text=True)
    resp = client.post(url, data={
        "age": "30", "sex": "female", "pcode": "SY07", "urgency": "normal",
        "name": "Should Not Matter", "consent_method": "verbal",
        "consent_given_by": "the person", "consent_scope": ["age_sex", "needs"]})
    assert resp.status_code == 302
    referral = session.scalars(select(Referral).where(
        Referral.receiver_org_id == world.receiver_org.id)).one()
    assert referral.status == "sent" and referral.case.name_enc is None


@pytest.mark.parametrize("start,days,due", [
    # Thursday 09:00 UTC (12:00 in Damascus) + 1 working day -> Sunday
    ("2026-11-26T09:00+00:00", 1, "2026-11-29T09:00+00:00"),
    # Thursday 22:00 UTC is Friday 01:00 in Damascus: + 1 working day is Sunday 01:00 there
    # (Saturday 22:00 UTC), not Monday 01:00 as counting on UTC dates gave
    ("2026-11-26T22:00+00:00", 1, "2026-11-28T22:00+00:00"),
    # Saturday 22:00 UTC is Sunday 01:00 in Damascus -> Monday 01:00 there
    ("2026-11-28T22:00+00:00", 1, "2026-11-29T22:00+00:00"),
    ("2026-11-26T09:00+00:00", 5, "2026-12-03T09:00+00:00"),
    ("2026-11-26T09:00+00:00", 0, "2026-11-26T09:00+00:00"),
])
def test_working_days_follow_syrias_calendar(start, days, due):
    from referral.workdays import add_working_days

    result = add_working_days(dt.datetime.fromisoformat(start), days)
    assert result == dt.datetime.fromisoformat(due)
    assert result.utcoffset() == dt.timedelta(0)  # stays in the caller's timezone


def test_outbox_filters_by_the_services_referred_to(client, login, session, make, world):
    legal = make.service(organization=world.receiver_org, service_type_code="prot_legal",
                         name_en="Legal aid desk", coverage=["SY07"])
    unused = make.service(organization=world.receiver_org, service_type_code="prot_legal",
                          name_en="Never referred to")
    pss = new_referral(session, world, status="sent")
    law = new_referral(session, world, status="sent", service=legal)
    session.flush()
    login(world.users[("sender", "caseworker")])
    page = client.get("/referrals/out?lang=en").get_data(as_text=True)
    assert f'<option value="{legal.id}"' in page and f'<option value="{world.service.id}"' in page
    assert f'value="{unused.id}"' not in page
    only = client.get(f"/referrals/out?service_id={legal.id}").get_data(as_text=True)
    assert f"/referrals/{law.id}\"" in only and f"/referrals/{pss.id}\"" not in only
