"""The library: publishing (admins, audited), reading, status links, attachments, following,
bad input, the API and the import command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from data.models import Attachment, AuditLog, LibraryDocument, Notification
from tests.kits.library_corpus import EXE, HTML, JPEG, PDF, PNG, SVG, build, docx_bytes

FORM = {"kind": "circular", "number": "12/2024", "issue_date": "2024-03-01",
        "issuer_ar": "وزارة الشؤون الاجتماعية والعمل", "issuer_en": "MoSAL",
        "title_ar": "تعميم بشأن تجديد بيانات الجمعيات", "title_en": "Circular on renewing data",
        "summary_ar": "على الجمعيات تحديث بياناتها سنوياً.", "summary_en": "", "body_ar": "",
        "body_en": "", "topics": ["registration"], "sectors": ["protection"],
        "service_types": ["prot_pss"], "status": "in_force", "published": "y"}


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def _audits(session, action: str) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


@pytest.fixture
def admin(make):
    return make.user("platform_admin")


def test_admin_publishes_a_document_with_an_attachment_audited(client, session, admin, login,
                                                               app):
    login(admin)
    data = {**FORM, "attachment": (io.BytesIO(PDF), "تعميم 12.pdf")}
    resp = client.post("/library/documents/new", data=data,
                       content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    doc = session.scalars(select(LibraryDocument).where(
        LibraryDocument.number == "12/2024")).one()
    assert doc.published and doc.topics == ["registration"]
    assert [s.code for s in doc.sectors] == ["protection"]
    att = doc.attachments[0]
    assert att.content_type == "application/pdf" and att.filename == "تعميم 12.pdf"
    assert (Path(app.config["UPLOAD_FOLDER"]) / att.storage_key).read_bytes() == PDF
    for action in ("library.create", "library.attach", "library.publish"):
        rows = _audits(session, action)
        assert rows and rows[-1].object_id == str(doc.id) and rows[-1].user_id == admin.id
    page = client.get(f"/library/documents/{doc.id}").get_data(as_text=True)
    assert "تعميم بشأن تجديد بيانات الجمعيات" in page and "نافذ" in page
    assert "الحماية" in page  # the sector it concerns, linked
    assert "/library/?topic=sector%3Aprotection" in page or "topic=sector:protection" in page


def test_every_edit_is_audited_with_old_and_new_values(client, session, admin, login):
    from network.library import create_document

    doc = create_document(session, admin, {"kind": "circular", "title_ar": "تعميم أول"})
    login(admin)
    resp = client.post(f"/library/documents/{doc.id}/edit",
                       data={**FORM, "title_ar": "تعميم معدل العنوان", "published": ""})
    assert resp.status_code == 302
    row = _audits(session, "library.update")[-1]
    assert row.summary["title_ar"] == ["تعميم أول", "تعميم معدل العنوان"]
    assert row.object_id == str(doc.id)


@pytest.mark.parametrize("role", ["org_admin", "caseworker", "planner", "viewer", None])
def test_only_platform_admins_publish_or_edit(client, session, make, login, role):
    from network.library import create_document

    doc = create_document(session, None, {"kind": "law", "title_ar": "قانون", "published": True})
    if role:
        login(make.user(role))
    before = _count(session, LibraryDocument)
    new = client.post("/library/documents/new", data=FORM)
    edit = client.post(f"/library/documents/{doc.id}/edit", data=FORM)
    api = client.post("/api/v1/library/documents", json={"kind": "law", "title_ar": "x"})
    expected = (403, 403, 403) if role else (302, 302, 401)
    assert (new.status_code, edit.status_code, api.status_code) == expected
    assert _count(session, LibraryDocument) == before


def _unmarked(resp) -> str:
    """The page without the <mark> tags that highlight matching words in titles."""
    return resp.get_data(as_text=True).replace("<mark>", "").replace("</mark>", "")


def test_drafts_are_for_admins_only(client, session, admin, login):
    from network.library import create_document

    draft = create_document(session, admin, {"kind": "circular", "title_ar": "مسودة تعميم"})
    assert client.get(f"/library/documents/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/library/documents/{draft.id}").status_code == 404
    assert "مسودة تعميم" not in _unmarked(client.get("/library/?q=مسودة"))
    login(admin)
    assert client.get(f"/library/documents/{draft.id}").status_code == 200
    assert "مسودة تعميم" in _unmarked(client.get("/library/?q=مسودة"))


def test_status_links_both_ways(client, session, admin):
    ids = build(session, admin)
    law = client.get(f"/library/documents/{ids['law93']}").get_data(as_text=True)
    assert "معدَّل" in law
    assert f'class="status-by" href="/library/documents/{ids["decree_amend"]}"' in law
    decree = client.get(f"/library/documents/{ids['decree_amend']}").get_data(as_text=True)
    assert f'class="changes" href="/library/documents/{ids["law93"]}"' in decree
    old = client.get(f"/library/documents/{ids['dec_old_fundraising']}?lang=en")
    assert "Repealed" in old.get_data(as_text=True)
    body = client.get(f"/api/v1/library/documents/{ids['decree_amend']}").get_json()
    assert body["changed"] == [{"id": ids["law93"], "status": "amended"}]


@pytest.mark.parametrize(("payload", "field"), [
    ({"kind": "law", "title_ar": "قانون", "status": "repealed", "status_by_id": 999999},
     "status_by_id"),
    ({"kind": "law", "title_ar": "قانون", "status": "amended"}, "status_by_id"),
    ({"kind": "law", "title_ar": "   "}, "title_ar"),
    ({"kind": "law"}, "title_ar"),
    ({"kind": "poem", "title_ar": "x"}, "kind"),
    ({"kind": "law", "title_ar": "x", "topics": ["gossip"]}, "topics"),
    ({"kind": "law", "title_ar": "x", "sectors": ["nope"]}, "sectors"),
    ({"kind": "law", "title_ar": "x", "issue_date": "1/2/2020"}, "issue_date"),
])
def test_api_bad_input_names_the_field_and_stores_nothing(client, session, admin, login,
                                                          payload, field):
    login(admin)
    before = (_count(session, LibraryDocument), _count(session, AuditLog))
    resp = client.post("/api/v1/library/documents", json=payload)
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["field"] == field
    assert (_count(session, LibraryDocument), _count(session, AuditLog)) == before


def test_form_errors_are_next_to_the_field_in_arabic(client, session, admin, login):
    login(admin)
    before = _count(session, LibraryDocument)
    resp = client.post("/library/documents/new",
                       data={**FORM, "status": "repealed", "status_by_id": "999999"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'id="status_by_id-error"' in html and "اذكر وثيقة موجودة" in html
    resp = client.post("/library/documents/new", data={**FORM, "title_ar": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and 'id="title_ar-error"' in html
    assert "هذا الحقل مطلوب" in html
    assert _count(session, LibraryDocument) == before


def test_status_cannot_point_to_itself(session, admin):
    from data.errors import BadInput
    from network.library import create_document, update_document

    doc = create_document(session, admin, {"kind": "law", "title_ar": "قانون"})
    with pytest.raises(BadInput) as err:
        update_document(session, admin, doc.id, {"status": "repealed", "status_by_id": doc.id})
    assert err.value.details["field"] == "status_by_id"


# ---------------------------------------------------------------- attachments

@pytest.mark.parametrize(("name", "data", "ok"), [
    ("a.pdf", PDF, True),
    ("a.PDF", PDF, True),
    ("رسالة.docx", docx_bytes(), True),
    ("a.png", PNG, True),
    ("a.jpg", JPEG, True),
    ("a.jpeg", JPEG, True),
    ("a.pdf", PNG, False),  # a .pdf that is really a PNG
    ("a.pdf", HTML, False),  # HTML dressed as PDF
    ("a.png", SVG, False),  # SVG (scriptable) is not accepted
    ("a.pdf", EXE, False),
    ("a.docx", PDF, False),
    ("a.exe", PDF, False),
    ("a", PDF, False),
    ("a.pdf", b"", False),
    # cut short (a download or upload that did not finish): known by its first bytes, opens
    # in no reader; a little junk after the end marker is what readers accept
    ("a.pdf", PDF[:-8], False),
    ("a.pdf", PDF + b"\x00" * 100, True),
    ("a.png", PNG[:-12], False),
    ("a.jpg", JPEG[:-2], False),
    ("رسالة.docx", docx_bytes()[:-30], False),
])
def test_files_are_checked_by_content(name, data, ok):
    from data.attachments import check
    from data.errors import BadInput

    if ok:
        assert check(name, data).size == len(data)
    else:
        with pytest.raises(BadInput) as err:
            check(name, data, field="attachment")
        assert err.value.details["field"] == "attachment"


def test_plain_zip_named_docx_is_refused():
    import zipfile

    from data.attachments import check
    from data.errors import BadInput

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("evil.html", "<script>alert(1)</script>")
    with pytest.raises(BadInput):
        check("a.docx", buf.getvalue())


def test_path_tricks_in_file_names_are_neutralised():
    from data.attachments import check

    assert check("../../etc/passwd.pdf", PDF).filename == "passwd.pdf"
    assert check("..\\..\\x.pdf", PDF).filename == "x.pdf"
    assert check('a"<b>.pdf', PDF).filename == "ab.pdf"


@pytest.mark.parametrize(("name", "data", "limit"), [
    ("big.pdf", PDF + b"0" * 5000, 1000),
    ("fake.pdf", PNG, None),
    ("page.pdf", HTML, None),
    ("cut.pdf", PDF[:-8], None),
])
def test_bad_uploads_are_refused_in_arabic_and_nothing_is_stored(
        client, session, admin, login, app, monkeypatch, name, data, limit):
    if limit:
        monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", limit)
    login(admin)
    before = (_count(session, LibraryDocument), _count(session, Attachment))
    files_before = sorted(Path(app.config["UPLOAD_FOLDER"]).rglob("*"))
    resp = client.post("/library/documents/new",
                       data={**FORM, "attachment": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert 'id="attachment-error"' in html
    assert ("كبير" in html) if limit else ("ناقص" in html) if name == "cut.pdf" \
        else ("ليس ملف" in html)
    assert (_count(session, LibraryDocument), _count(session, Attachment)) == before
    assert sorted(Path(app.config["UPLOAD_FOLDER"]).rglob("*")) == files_before


@pytest.mark.parametrize(("name", "data", "mime", "disposition"), [
    ("قرار.pdf", PDF, "application/pdf", "inline"),
    ("form.docx", docx_bytes(),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "attachment"),
    ("scan.png", PNG, "image/png", "inline"),
])
def test_attachments_are_served_with_safe_headers(client, session, admin, app, name, data,
                                                  mime, disposition):
    from data.attachments import check
    from network.library import add_attachment, create_document

    doc = create_document(session, admin, {"kind": "form", "title_ar": "نموذج",
                                           "published": True})
    att = add_attachment(session, admin, doc.id, check(name, data), app.config["UPLOAD_FOLDER"])
    with client.get(f"/library/attachments/{att.uuid}") as resp:
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith(mime)
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Disposition"].startswith(disposition)
        assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
        assert resp.headers["Cache-Control"] == "public, max-age=3600"  # published: anyone
        assert resp.data == data


def test_draft_attachments_are_hidden(client, session, admin, app, login):
    from data.attachments import check
    from network.library import add_attachment, create_document

    doc = create_document(session, admin, {"kind": "form", "title_ar": "نموذج"})
    att = add_attachment(session, admin, doc.id, check("a.pdf", PDF),
                         app.config["UPLOAD_FOLDER"])
    with client.get(f"/library/attachments/{att.uuid}") as resp:
        assert resp.status_code == 404
    login(admin)
    with client.get(f"/library/attachments/{att.uuid}") as resp:
        assert resp.status_code == 200
        assert resp.headers["Cache-Control"] == "private, no-store"  # a draft: admins only
    with client.get("/library/attachments/not-a-uuid") as resp:
        assert resp.status_code == 404


# ---------------------------------------------------------------- following

def test_followers_of_a_topic_are_notified_in_app_and_by_email(client, session, admin, make,
                                                               login, smtp_server, app):
    follower = make.user("org_admin", email="follower@example.org")
    sector_follower = make.user("caseworker", email="health@example.org", locale="en")
    other = make.user("caseworker")
    c2 = app.test_client()
    login(follower)
    assert client.post("/library/follow", data={"topics": ["financing"]}).status_code == 302
    login(sector_follower, c2)
    assert c2.post("/library/follow", data={"topics": ["sector:health"]}).status_code == 302
    login(admin, c2)
    resp = c2.post("/library/documents/new", data={
        **FORM, "title_ar": "قرار بتنظيم جمع التبرعات الإلكترونية", "topics": ["financing"],
        "sectors": ["health"]})
    assert resp.status_code == 302
    notes = session.scalars(select(Notification).where(
        Notification.kind == "library_document")).all()
    assert {n.user_id for n in notes} == {follower.id, sector_follower.id}
    assert other.id not in {n.user_id for n in notes}
    assert "جمع التبرعات الإلكترونية" in notes[0].text_ar
    mails = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["follower@example.org", "health@example.org"]
    assert "/library/documents/" in mails[0].get_content()


def test_drafts_notify_nobody_until_published(session, admin, make):
    from network.library import create_document, follow_topics, update_document

    follower = make.user("caseworker")
    follow_topics(session, follower, ["taxation"])
    doc = create_document(session, admin, {"kind": "decree", "title_ar": "مرسوم",
                                           "topics": ["taxation"]})
    count = select(func.count()).select_from(Notification).where(
        Notification.user_id == follower.id)
    assert session.scalar(count) == 0
    update_document(session, admin, doc.id, {"published": True})
    assert session.scalar(count) == 1
    update_document(session, admin, doc.id, {"title_ar": "مرسوم معدل"})
    assert session.scalar(count) == 1


def test_following_an_unknown_topic_is_refused(session, make):
    from data.errors import BadInput
    from network.library import follow_topics

    with pytest.raises(BadInput):
        follow_topics(session, make.user("viewer"), ["sector:nope"])


# ---------------------------------------------------------------- pages and API

def test_search_page_highlights_in_arabic_and_english(client, session, admin):
    build(session, admin)
    html = _unmarked(client.get("/library/?q=التعاميم"))
    assert 'dir="rtl"' in html and "تعميم بشأن تقديم التقارير السنوية للجمعيات" in html
    html = client.get("/library/?q=fundraising&lang=en").get_data(as_text=True)
    assert "<mark>fundraising</mark>" in html and "Ministerial decision regulating" in html
    html = client.get("/library/?q=&kind=circular&year=2023&lang=ar").get_data(as_text=True)
    assert "الحسابات المصرفية" in html and "التقارير السنوية" not in html
    assert client.get("/library/?year=abc").status_code == 200


def test_titles_are_escaped_on_pages(client, session, admin):
    from network.library import create_document

    doc = create_document(session, admin, {"kind": "circular", "published": True,
                                           "title_ar": "<script>alert(1)</script> تعميم"})
    for url in (f"/library/documents/{doc.id}", "/library/?q=تعميم"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def _validator(client, path: str, method: str, status: str):
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"][
        "schema"]
    return jsonschema.Draft202012Validator({**schema, "components": doc["components"]})


def test_api_search_and_document_match_the_openapi_document(client, session, admin, login):
    ids = build(session, admin)
    body = client.get("/api/v1/library/documents?q=٩٣").get_json()
    _validator(client, "/library/documents", "get", "200").validate(body)
    assert body["items"][0]["id"] == ids["law93"] and body["total"] == 1
    one = client.get(f"/api/v1/library/documents/{ids['law93']}").get_json()
    _validator(client, "/library/documents/{id}", "get", "200").validate(one)
    assert one["status"] == "amended" and one["status_by_id"] == ids["decree_amend"]
    login(admin)
    created = client.post("/api/v1/library/documents", json={
        "kind": "circular", "title_ar": "تعميم جديد", "topics": ["reporting"],
        "published": True})
    assert created.status_code == 201
    _validator(client, "/library/documents", "post", "201").validate(created.get_json())
    patched = client.patch(f"/api/v1/library/documents/{created.get_json()['id']}",
                           json={"status": "repealed", "status_by_id": ids["circ_reports"]})
    assert patched.status_code == 200 and patched.get_json()["status"] == "repealed"
    bad = client.get("/api/v1/library/documents?year=abc")
    assert bad.status_code == 400 and bad.get_json()["error"]["details"]["field"] == "year"


# ---------------------------------------------------------------- import command

def _folder(tmp_path: Path, rows: list[str], files: dict[str, bytes] | None = None) -> Path:
    header = ("kind,number,issue_date,issuer_ar,title_ar,title_en,topics,status,status_by,"
              "files,text_file")
    (tmp_path / "metadata.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    for name, data in (files or {}).items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


GOOD_ROWS = [
    'law,93,1958-07-08,رئاسة الجمهورية,قانون الجمعيات رقم 93,Law 93,registration,amended,'
    'legislative_decree:8/2021,law93.pdf,law93.txt',
    'legislative_decree,8/2021,2021-03-15,رئاسة الجمهورية,مرسوم تشريعي بتعديل قانون الجمعيات,'
    ',registration,in_force,,,',
    'circular,12/2022,2022-01-20,وزارة الشؤون الاجتماعية والعمل,تعميم التقارير السنوية,,'
    'reporting|financing,in_force,,scan.png,',
]


def test_import_loads_documents_files_and_links(runner, session, tmp_path, app):
    folder = _folder(tmp_path, GOOD_ROWS, {"law93.pdf": PDF, "scan.png": PNG,
                                           "law93.txt": "المادة 1: نص القانون".encode()})
    result = runner.invoke(args=["library", "import", str(folder)])
    assert result.exit_code == 0, result.output
    assert "documents: 3, files: 2" in result.output
    law = session.scalars(select(LibraryDocument).where(LibraryDocument.number == "93")).one()
    assert law.status == "amended" and law.status_by.number == "8/2021" and law.published
    assert "نص القانون" in law.body_ar and law.attachments[0].content_type == "application/pdf"
    circ = session.scalars(select(LibraryDocument).where(
        LibraryDocument.number == "12/2022")).one()
    assert circ.topics == ["reporting", "financing"]


@pytest.mark.parametrize(("rows", "files", "message"), [
    ([GOOD_ROWS[1], 'poem,1,,,قصيدة,,,,,,'], {}, "row 3, column kind"),
    ([GOOD_ROWS[1], 'law,2,2020-13-01,,قانون,,,,,,'], {}, "row 3, column issue_date"),
    ([GOOD_ROWS[1], 'law,2,,,,,,,,,'], {}, "row 3, column title_ar"),
    ([GOOD_ROWS[1], 'law,2,,,قانون,,,repealed,law:404,,'], {}, "row 3, column status_by"),
    ([GOOD_ROWS[1], 'law,2,,,قانون,,,,,fake.pdf,'], {"fake.pdf": PNG}, "row 3, column files"),
    ([GOOD_ROWS[1], 'law,2,,,قانون,,,,,missing.pdf,'], {}, "row 3, column files"),
    ([GOOD_ROWS[1], 'law,2,,,قانون,,gossip,,,,'], {}, "row 3, column topics"),
])
def test_import_refuses_bad_rows_and_loads_nothing(runner, session, tmp_path, rows, files,
                                                   message):
    folder = _folder(tmp_path, rows, files)
    before = (_count(session, LibraryDocument), _count(session, Attachment))
    result = runner.invoke(args=["library", "import", str(folder)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert (_count(session, LibraryDocument), _count(session, Attachment)) == before


def test_import_refuses_unknown_columns(runner, tmp_path):
    (tmp_path / "metadata.csv").write_text("kind,title_ar,colour\nlaw,قانون,red\n",
                                           encoding="utf-8")
    result = runner.invoke(args=["library", "import", str(tmp_path)])
    assert result.exit_code == 2 and "colour" in result.output


def test_library_pages_are_small(client, session, admin):
    build(session, admin)
    for url in ("/library/", "/library/?q=الجمعيات"):
        resp = client.get(url)
        assert resp.status_code == 200 and len(resp.data) < 150_000
    assert json.loads(client.get("/api/v1/library/documents").data)["total"] == 12


def test_a_draft_that_changes_a_document_is_not_linked_for_the_public(client, session, admin,
                                                                       login):
    from network.library import create_document, update_document

    law = create_document(session, admin, {"kind": "law", "title_ar": "قانون قديم",
                                           "published": True})
    draft = create_document(session, admin, {"kind": "law", "title_ar": "قانون جديد سري"})
    update_document(session, admin, law.id, {"status": "repealed", "status_by_id": draft.id})
    html = client.get(f"/library/documents/{law.id}").get_data(as_text=True)
    assert "ملغى" in html and "قانون جديد سري" not in html
    login(admin)
    html = client.get(f"/library/documents/{law.id}").get_data(as_text=True)
    assert "قانون جديد سري" in html


def test_document_page_links_the_services_it_concerns(database_url, connection, session,
                                                       admin):
    from flask import Blueprint, url_for
    from sqlalchemy.orm import sessionmaker

    from app import create_app
    from data.db import Database
    from network.library import create_document
    from web.security import PUBLIC, allow

    fresh = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "t"})
    if "directory.search" not in fresh.view_functions:  # a stand-in until the directory lands
        directory = Blueprint("directory", __name__)
        directory.add_url_rule("/d", "search", allow(PUBLIC)(lambda: "d"))
        fresh.register_blueprint(directory)
    Database.bind(fresh, sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    doc = create_document(session, admin, {"kind": "guideline", "title_ar": "دليل الدعم النفسي",
                                           "service_types": ["prot_pss"],
                                           "sectors": ["protection"], "published": True})
    with fresh.test_request_context():
        expected = url_for("directory.search", need="prot_pss")
    html = fresh.test_client().get(f"/library/documents/{doc.id}").get_data(as_text=True)
    assert f'class="service-type" href="{expected}"' in html
    assert ('class="sector" href="/library/?topic=sector:protection"' in html
            or 'class="sector" href="/library/?topic=sector%3Aprotection"' in html)
