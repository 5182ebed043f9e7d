"""Whole numbers in the query string (web/args.py): the API refuses a bad page or per_page with
a 400 naming the field, in the caller's language and as its OpenAPI document says; HTML pages
show the first page instead."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from data.models import ForumCategory
from web.args import int_arg, page_arg

# (API path, the paging parameters it reads)
PAGED = [("/organizations", ("page", "per_page")),
         ("/library/documents", ("page", "per_page")),
         ("/forum/threads", ("page",))]
TOO_BIG = {"page": "1001", "per_page": "101"}
RANGE = {"page": "between 1 and 1000", "per_page": "between 1 and 100"}
CASES = [(path, field, value, expected)
         for path, fields in PAGED for field in fields
         for value, expected in (("abc", "a number"), ("2.5", "a number"), ("0", RANGE[field]),
                                 ("-1", RANGE[field]), (TOO_BIG[field], RANGE[field]))]


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.fixture
def signed_in(make, login):
    """The forum API is for signed-in users; the other two answer anyone the same way."""
    login(make.user("caseworker"))


def _param_schema(spec: dict, path: str, name: str) -> dict:
    params = spec["paths"][path]["get"]["parameters"]
    return next(p["schema"] for p in params if p["name"] == name)


def _as_sent(value: str):
    try:
        return int(value)
    except ValueError:
        return value


@pytest.mark.parametrize(("path", "field", "value", "expected"), CASES)
def test_a_bad_paging_number_is_400_naming_the_field(client, spec, signed_in, path, field,
                                                     value, expected):
    resp = client.get(f"/api/v1{path}?{field}={value}", headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["error"]["code"] == "bad_input"
    assert body["error"]["details"] == {"field": field}
    assert body["error"]["message"] == f"{field} must be {expected}."
    # the 400 is documented, and the documented parameter refuses the value too
    error = spec["paths"][path]["get"]["responses"]["400"]["content"]["application/json"]
    Draft202012Validator({**error["schema"], "components": spec["components"]}).validate(body)
    assert not Draft202012Validator(_param_schema(spec, path, field)).is_valid(_as_sent(value))


@pytest.mark.parametrize(("path", "fields"), PAGED)
def test_the_message_is_arabic_by_default(client, signed_in, path, fields):
    resp = client.get(f"/api/v1{path}?page=abc")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["message"] == "يجب أن يكون page رقماً."


@pytest.mark.parametrize(("path", "fields"), PAGED)
def test_good_and_empty_paging_numbers_are_accepted(client, spec, signed_in, path, fields):
    query = "&".join(f"{f}=2" for f in fields)
    resp = client.get(f"/api/v1{path}?{query}")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    for f in fields:
        assert body.get(f, 2) == 2
        assert Draft202012Validator(_param_schema(spec, path, f)).is_valid(2)
    empty = client.get(f"/api/v1{path}?" + "&".join(f"{f}=" for f in fields))
    assert empty.status_code == 200
    assert empty.get_json().get("page", 1) == 1


@pytest.mark.parametrize(("query", "field"), [
    ("category_id=abc", "category_id"), ("category_id=0", "category_id"),
    ("category_id=99999999999", "category_id"), ("category_id=999999", "category_id")])
def test_forum_category_id_is_checked_the_same_way(client, signed_in, query, field):
    resp = client.get(f"/api/v1/forum/threads?{query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == field


def test_library_year_out_of_the_calendar_is_400(client):
    resp = client.get("/api/v1/library/documents?year=99999999999999999999")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"] == {"field": "year"}


@pytest.mark.parametrize(("query", "expected"), [
    ({}, 1), ({"page": ""}, 1), ({"page": "abc"}, 1), ({"page": "0"}, 1), ({"page": "-3"}, 1),
    ({"page": "2.5"}, 1), ({"page": "10000000"}, 1), ({"page": "7"}, 7), ({"page": " 7 "}, 7),
    ({"page": "٣"}, 3)])
def test_page_arg_falls_back_to_the_first_page(app, query, expected):
    with app.test_request_context(query_string=query):
        assert page_arg() == expected


@pytest.mark.parametrize(("query", "expected"), [
    ({}, 5), ({"n": ""}, 5), ({"n": "1"}, 1), ({"n": "10"}, 10), ({"n": "٣"}, 3)])
def test_int_arg_reads_numbers_in_range_and_defaults(app, query, expected):
    with app.test_request_context(query_string=query):
        assert int_arg("n", 5, 1, 10) == expected


def test_html_pages_show_the_first_page_for_a_bad_page_number(client, session, make, login):
    from data.audit import record
    from network import forum, library

    admin = make.user("platform_admin")
    member = make.user("caseworker")
    library.create_document(session, admin, {"kind": "circular", "title_ar": "تعميم الصفحات",
                                             "published": True})
    forum.seed_categories(session)
    category = session.scalars(select(ForumCategory).where(
        ForumCategory.slug == "experience-exchange")).one()
    thread = forum.create_thread(session, member, category.id, "موضوع الصفحات", "نص")
    for i in range(55):
        record(session, "token.created", user=admin, object_type="api_token", object_id=i)
    login(admin)
    lib = client.get("/library/?page=abc")
    assert lib.status_code == 200 and "تعميم الصفحات" in lib.get_data(as_text=True)
    cat = client.get(f"/forum/categories/{thread.category_id}?page=abc")
    assert cat.status_code == 200 and "موضوع الصفحات" in cat.get_data(as_text=True)
    for bad in ("abc", "0", "-2", "99999999999999999999"):
        audit = client.get(f"/accounts/admin/audit?action=token&page={bad}")
        assert audit.status_code == 200
        assert audit.get_data(as_text=True).count("<code>token.created</code>") == 50
    second = client.get("/accounts/admin/audit?action=token&page=2").get_data(as_text=True)
    assert second.count("<code>token.created</code>") == 5


@pytest.mark.parametrize(("top", "message"), [
    ("abc", "top must be a number."), ("0", "top must be between 1 and 50."),
    ("51", "top must be between 1 and 50.")])
def test_partner_suggestions_top_is_read_the_same_way(client, make, login, top, message):
    member = make.user("caseworker")
    login(member)
    resp = client.get(f"/api/v1/organizations/{member.organization_id}/partners?top={top}",
                      headers={"Accept-Language": "en"})
    assert resp.status_code == 400
    assert resp.get_json()["error"] == {"code": "bad_input", "message": message,
                                        "details": {"field": "top"}}
