"""The supervisor role (issue 23): an organisation admin gives it on the members page or the
API; a supervisor works referrals like a caseworker and may break the glass, but administers
nothing. Labelled in Arabic and English."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import AuditLog


def test_the_members_page_offers_and_gives_the_supervisor_role(client, session, make, login):
    org = make.org()
    boss = make.user("org_admin", org)
    member = make.user("caseworker", org)
    login(boss)
    en = client.get("/accounts/members?lang=en").get_data(as_text=True)
    assert '<option value="supervisor">Supervisor</option>' in en
    ar = client.get("/accounts/members?lang=ar").get_data(as_text=True)
    assert '<option value="supervisor">مشرف</option>' in ar
    resp = client.post(f"/accounts/members/{member.id}/role", data={"role": "supervisor"})
    assert resp.status_code == 302
    session.refresh(member)
    assert member.role == "supervisor"
    (change,) = session.scalars(select(AuditLog).where(AuditLog.action == "role.changed"))
    assert (change.summary["from"], change.summary["to"], change.user_id) == (
        "caseworker", "supervisor", boss.id)
    page = client.get("/accounts/members?lang=en").get_data(as_text=True)
    assert '<option value="supervisor" selected>Supervisor</option>' in page


def test_the_api_lists_members_and_gives_roles(client, session, make, login):
    org = make.org()
    boss = make.user("org_admin", org)
    member = make.user("caseworker", org)
    make.user("caseworker", make.org())  # another organisation's: not listed
    login(boss)
    items = client.get("/api/v1/members").get_json()["items"]
    assert {(i["id"], i["role"]) for i in items} == {(boss.id, "org_admin"),
                                                      (member.id, "caseworker")}
    resp = client.patch(f"/api/v1/members/{member.id}", json={"role": "supervisor"})
    assert resp.status_code == 200 and resp.get_json()["role"] == "supervisor"
    session.refresh(member)
    assert member.role == "supervisor"
    assert session.scalar(select(AuditLog.summary).where(
        AuditLog.action == "role.changed"))["to"] == "supervisor"


@pytest.mark.parametrize("target,body,status,field", [
    ("member", {}, 400, "role"),
    ("member", {"role": ""}, 400, "role"),
    ("member", {"role": "boss"}, 400, "role"),
    ("member", {"role": "platform_admin"}, 400, "role"),  # not an organisation's to give
    ("member", [], 400, "body"),
    ("self", {"role": "supervisor"}, 409, "role"),
    ("stranger", {"role": "supervisor"}, 404, "user"),  # another organisation's member
    ("nobody", {"role": "supervisor"}, 404, "user"),
])
def test_bad_role_changes_are_refused_naming_the_field(client, session, make, login, target,
                                                        body, status, field):
    org = make.org()
    boss = make.user("org_admin", org)
    member = make.user("caseworker", org)
    user_id = {"member": member.id, "self": boss.id, "nobody": 999999,
               "stranger": make.user("caseworker", make.org()).id}[target]
    login(boss)
    resp = client.patch(f"/api/v1/members/{user_id}", json=body)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["details"]["field"] == field
    session.refresh(member)
    session.refresh(boss)
    assert (member.role, boss.role) == ("caseworker", "org_admin")
    assert session.scalar(select(AuditLog.id).where(AuditLog.action == "role.changed")) is None


def test_a_supervisor_works_referrals_but_administers_nothing(client, session, make, login):
    org = make.org()
    login(make.user("supervisor", org))
    nav = client.get("/?lang=en").get_data(as_text=True)
    assert "Referrals received" in nav and "Several needs" in nav
    assert "Break-the-glass review" not in nav and "/accounts/members" not in nav
    for url in ("/referrals/in", "/referrals/out", "/referrals/bundle", "/focal/"):
        assert client.get(url).status_code == 200, url
    for url in ("/accounts/members", "/api/v1/members", "/referrals/glass", "/accounts/tokens"):
        assert client.get(url).status_code == 403, url


def test_a_token_cannot_carry_the_supervisor_role(client, session, make, login):
    """A supervisor's judgement is a person's: an API token (no person) is not given it."""
    org = make.org()
    login(make.user("org_admin", org))
    en = client.get("/accounts/tokens?lang=en").get_data(as_text=True)
    assert 'value="caseworker"' in en and 'value="supervisor"' not in en
