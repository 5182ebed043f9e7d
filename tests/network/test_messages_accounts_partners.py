"""Errors of accounts, organisations, tokens, partners and gaps reach people in their language:
Arabic by default, English for an API client that sends ``Accept-Language: en`` (or a page
asked with ``?lang=en``), and a command in the shell's language. The error's field stays."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import PartnershipRequest
from tests.kits.partners import build_world


@pytest.fixture
def world(session, make, boundaries):
    return build_world(session, make)


# (who signs in, method, path, JSON body, status, field, Arabic message, English message);
# "{a}" / "{b}" are world.a / world.b ids, "{req}" a pending request from a to b.
API_CASES = [
    pytest.param(None, "get", "/api/v1/areas?level=9", None, 400, "level",
                 "يجب أن تكون قيمة level هي 1 أو 2 أو 3 أو 4.", "level must be 1, 2, 3 or 4.",
                 id="areas-level"),
    pytest.param("caseworker", "get", "/api/v1/organizations/{a}/partners?area=SY99", None,
                 400, "area", "الرمز الجغرافي 'SY99' غير معروف.",
                 "Unknown area p-code 'SY99'.", id="suggestions-area"),
    pytest.param("caseworker", "get", "/api/v1/organizations/999999999/partners", None, 404,
                 "org", "المنظمة '999999999' غير موجودة.",
                 "Organisation '999999999' doesn't exist.", id="unknown-org"),
    pytest.param("org_admin", "post", "/api/v1/partnership-requests", {"target_org_id": "{a}"},
                 400, "target", "لا يمكن للمنظمة أن تعقد شراكة مع نفسها.",
                 "An organisation cannot partner with itself.", id="partner-itself"),
    pytest.param("org_admin", "post", "/api/v1/partnership-requests", {"target_org_id": "x"},
                 400, "target_org_id", "يجب أن تكون قيمة target_org_id رقم منظمة.",
                 "target_org_id must be an organisation id.", id="target-not-an-id"),
    pytest.param("org_admin", "post", "/api/v1/partnership-requests", {"target_org_id": "{b}"},
                 409, "target",
                 "يوجد طلب شراكة قيد الانتظار بين هاتين المنظمتين؛ أجب عنه أو اسحبه أولاً.",
                 "A partnership request between these organisations is pending; answer or "
                 "withdraw it first.", id="request-pending"),
    pytest.param("org_admin", "post", "/api/v1/partnership-requests/999999999/withdraw", None,
                 404, "id", "طلب الشراكة رقم 999999999 غير موجود.",
                 "Partnership request 999999999 doesn't exist.", id="no-request"),
    pytest.param("planner", "get", "/api/v1/gaps?format=pdf", None, 400, "format",
                 "يجب أن تكون قيمة format هي json أو csv.", "format must be json or csv.",
                 id="gaps-format"),
    pytest.param("planner", "get", "/api/v1/gaps?sector=gbv&service=prot_pss", None, 400,
                 "service", "اختر قطاعاً أو نوع خدمة، لا الاثنين معاً.",
                 "choose a sector or a service type, not both.", id="gaps-sector-and-service"),
    pytest.param("planner", "get", "/api/v1/gaps?period=May", None, 400, "period",
                 "يجب أن تكون الفترة بصيغة YYYY أو YYYY-MM، والقيمة المدخلة 'May'.",
                 "period must be YYYY or YYYY-MM, got 'May'.", id="gaps-period"),
]


def _fill(value, ids: dict[str, int]):
    """``"{a}"`` becomes world.a's id (an int inside JSON bodies)."""
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str):
        for name, id_ in ids.items():
            if value == "{" + name + "}":
                return id_
            value = value.replace("{" + name + "}", str(id_))
    return value


@pytest.mark.parametrize(("role", "method", "path", "body", "status", "field", "arabic",
                          "english"), API_CASES)
def test_api_errors_are_arabic_by_default_and_english_on_request(
        client, make, login, session, world, role, method, path, body, status, field, arabic,
        english):
    if role is not None:
        login(make.user(role, world.a))
    ids = {"a": world.a.id, "b": world.b.id}
    if "{b}" in str(body):  # a request a -> b is already pending
        session.add(PartnershipRequest(requester_org_id=world.a.id, target_org_id=world.b.id,
                                       requested_by_id=make.user("org_admin", world.a).id))
        session.flush()
    call = getattr(client, method)
    for headers, expected in (({}, arabic), ({"Accept-Language": "ar"}, arabic),
                              ({"Accept-Language": "en-GB,en;q=0.9"}, english)):
        kwargs = {"headers": headers}
        if body is not None:
            kwargs["json"] = _fill(body, ids)
        resp = call(_fill(path, ids), **kwargs)
        assert resp.status_code == status, resp.get_json()
        error = resp.get_json()["error"]
        assert error["details"]["field"] == field
        assert error["message"] == expected


def test_an_unknown_sector_lists_the_choices_in_either_language(client, make, login):
    login(make.user("planner"))
    ar = client.get("/api/v1/gaps?sector=nope").get_json()["error"]
    en = client.get("/api/v1/gaps?sector=nope",
                    headers={"Accept-Language": "en"}).get_json()["error"]
    assert ar["details"] == en["details"] == {"field": "sector"}
    assert ar["message"].startswith("القطاع 'nope' غير معروف؛ اختر من: ")
    assert en["message"].startswith("unknown sector 'nope'; choose from ")
    assert "protection" in ar["message"] and "protection" in en["message"]


def test_a_conflict_keeps_the_status_word_in_the_reader_s_language(client, make, login, world,
                                                                   session):
    admin_b = make.user("org_admin", world.b)
    login(make.user("org_admin", world.a))
    client.post("/api/v1/partnership-requests", json={"target_org_id": world.b.id})
    req = session.scalars(select(PartnershipRequest)).one()
    login(admin_b)
    assert client.post(f"/api/v1/partnership-requests/{req.id}/decline").status_code == 200
    again = f"/api/v1/partnership-requests/{req.id}/accept"
    ar = client.post(again).get_json()["error"]
    en = client.post(again, headers={"Accept-Language": "en"}).get_json()["error"]
    assert ar["code"] == en["code"] == "conflict" and ar["details"] == {"field": "status"}
    assert ar["message"] == "هذا الطلب مرفوض مسبقاً."
    assert en["message"] == "This request is declined already."


def test_an_account_error_on_a_page_follows_the_page_language(client, make, login):
    admin = make.user("org_admin")
    login(admin)
    ar = client.post(f"/accounts/members/{admin.id}/role", data={"role": "viewer"})
    assert "لا يمكنك تغيير دورك بنفسك." in ar.get_data(as_text=True)
    en = client.post(f"/accounts/members/{admin.id}/role?lang=en", data={"role": "viewer"})
    assert "You cannot change your own role." in en.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "expected"), [
    ("en_GB.UTF-8", "days must be between 1 and 3650."),
    ("ar_SY.UTF-8", "يجب أن تكون قيمة days بين 1 و3650."),
])
def test_commands_print_errors_in_the_shell_s_language(runner, make, monkeypatch, lang,
                                                        expected):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    org = make.org()
    result = runner.invoke(args=["tokens", "create", "--org", str(org.id), "--role", "viewer",
                                 "--days", "0"])
    assert result.exit_code == 2
    assert f"error: {expected}" in result.output
