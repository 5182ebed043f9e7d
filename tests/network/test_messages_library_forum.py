"""The library's and the forum's error messages reach users in Arabic by default, in English
when an API client asks for it (``Accept-Language: en``), and commands follow the shell."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.models import DOC_KINDS as KINDS
from data.models import ForumCategory

DOC_KINDS = ", ".join(KINDS)

# (name, who, method, path, json, status, field, Arabic message, English message)
CASES = [
    ("library search filter", None, "get", "/api/v1/library/documents?kind=poem", None, 400,
     "kind", f"يجب أن يكون kind أحد القيم: {DOC_KINDS}.",
     f"kind must be one of: {DOC_KINDS}."),
    ("library missing title", "admin", "post", "/api/v1/library/documents", {"kind": "law"},
     400, "title_ar", "الحقل title_ar مطلوب.", "title_ar is required."),
    ("library unknown status_by", "admin", "post", "/api/v1/library/documents",
     {"kind": "law", "title_ar": "قانون", "status": "repealed", "status_by_id": 999999}, 400,
     "status_by_id", "status_by_id: الوثيقة 999999 غير موجودة.",
     "status_by_id: document 999999 does not exist."),
    ("library unknown document", None, "get", "/api/v1/library/documents/999999", None, 404,
     None, "الوثيقة 999999 غير موجودة.", "Document 999999 does not exist."),
    ("library body not an object", "admin", "post", "/api/v1/library/documents", [1], 400,
     "body", "يجب أن يكون جسم الطلب كائن JSON.", "The request body must be a JSON object."),
    ("forum unknown category", "member", "post", "/api/v1/forum/threads",
     {"category_id": 999999, "title": "t", "body": "b"}, 400, "category_id",
     "category_id: القسم 999999 غير معروف.", "category_id: unknown category 999999."),
    ("forum empty title", "member", "post", "/api/v1/forum/threads",
     {"category_id": "CAT", "title": " ", "body": "b"}, 400, "title",
     "يجب ألا يكون title فارغاً.", "title must not be empty."),
    ("forum body too long", "member", "post", "/api/v1/forum/threads",
     {"category_id": "CAT", "title": "t", "body": "x" * 20_001}, 400, "body",
     "عدد أحرف body يتجاوز الحد الأقصى: 20000.", "body is longer than 20000 characters."),
    ("forum locked thread", "member", "post", "/api/v1/forum/threads/LOCKED/posts",
     {"body": "رد"}, 409, "thread", "هذا الموضوع مقفل ولا يقبل ردوداً جديدة.",
     "This thread is locked; it takes no more replies."),
    ("forum unknown thread", "member", "get", "/api/v1/forum/threads/999999", None, 404, None,
     "الموضوع 999999 غير موجود.", "Thread 999999 does not exist."),
    ("forum unverified writer", "pending", "post", "/api/v1/forum/threads",
     {"category_id": "CAT", "title": "t", "body": "b"}, 403, None,
     "الكتابة في المنتدى لأعضاء المنظمات الموثقة فقط.",
     "Only members of verified organisations may write in the forum."),
]


@pytest.fixture
def world(session, make):
    """Users of each kind, a category to write in and a locked thread."""
    from network.forum import create_thread, lock_thread, seed_categories

    seed_categories(session)
    cat = session.scalar(select(ForumCategory).where(
        ForumCategory.slug == "experience-exchange"))
    admin = make.user("platform_admin")
    member = make.user("caseworker", make.org())
    locked = create_thread(session, member, cat.id, "موضوع مقفل", "نص")
    lock_thread(session, admin, locked.id)
    return {"admin": admin, "member": member, "cat": cat, "locked": locked,
            "pending": make.user("caseworker", make.org(verification="pending"))}


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize(("name", "who", "method", "path", "payload", "status", "field",
                          "arabic", "english"), CASES, ids=[c[0] for c in CASES])
def test_api_errors_speak_arabic_unless_english_is_asked_for(
        client, login, world, lang, name, who, method, path, payload, status, field, arabic,
        english):
    if who:
        login(world[who])
    path = path.replace("LOCKED", str(world["locked"].id))
    if isinstance(payload, dict) and payload.get("category_id") == "CAT":
        payload = {**payload, "category_id": world["cat"].id}
    headers = {"Accept-Language": "en-GB,en;q=0.9"} if lang == "en" else {}
    resp = getattr(client, method)(path, json=payload, headers=headers)
    assert resp.status_code == status, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["message"] == (english if lang == "en" else arabic)
    assert error["details"].get("field") == field


def test_arabic_accept_language_still_gets_arabic(client):
    resp = client.get("/api/v1/library/documents/999999", headers={"Accept-Language": "ar"})
    assert resp.get_json()["error"]["message"] == "الوثيقة 999999 غير موجودة."


def _import_folder(tmp_path):
    (tmp_path / "metadata.csv").write_text("kind,title_ar\nlaw,قانون\npoem,قصيدة\n",
                                           encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("lang", "message"), [
    ("ar_SY.UTF-8", "metadata.csv، الصف 3، العمود kind: يجب أن يكون kind أحد القيم:"),
    ("en_GB.UTF-8", "metadata.csv row 3, column kind: kind must be one of:"),
])
def test_library_import_names_row_and_column_in_the_shell_s_language(
        runner, tmp_path, monkeypatch, lang, message):
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    result = runner.invoke(args=["library", "import", str(_import_folder(tmp_path))])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_use_cases_outside_a_request_keep_field_and_details(session, make, monkeypatch):
    """Called directly (no request, a non-Arabic shell), the messages stay English and the
    ``field`` clients rely on is unchanged."""
    from data.errors import BadInput

    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    from network.library import follow_topics

    with pytest.raises(BadInput) as err:
        follow_topics(session, make.user("viewer"), ["gossip"])
    assert err.value.details == {"field": "topics"}
    assert err.value.message == "topics: unknown topic gossip."
