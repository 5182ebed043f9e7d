"""The 4W import from the web: upload -> preview -> confirm, by platform and org admins."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from data.models import Activity, AuditLog, ImportBatch


def _csv(*rows: str) -> bytes:
    return ("implementing_partner,admin3pcode,activity,beneficiaries\n"
            + "\n".join(rows) + "\n").encode("utf-8")


def _upload(client, content: bytes, name: str = "4w.csv"):
    return client.post("/exchange/import", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _token(html: str) -> str:
    import re

    return re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)


def test_admin_previews_then_imports(client, session, make, login, boundaries):
    login(make.user("platform_admin"))
    resp = _upload(client, _csv("Maram Foundation (MF),SY020405,Food Baskets,40",
                                "MF,SY070301,Cooked Meals,12"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "معاينة الاستيراد" in html and 'dir="rtl"' in html
    assert session.scalar(select(func.count()).select_from(Activity)) == 0  # preview only
    resp = client.post("/exchange/import/confirm", data={"token": _token(html)})
    assert resp.status_code == 302
    assert session.scalar(select(func.count()).select_from(Activity)) == 2
    log = session.scalar(select(AuditLog).where(AuditLog.action == "import.4w"))
    assert log.summary["rows_imported"] == 2


def test_org_admin_imports_only_their_own_rows(client, session, make, login, boundaries):
    mine = make.org(name_en="Maram Foundation", acronym="MF")
    make.org(name_en="Shafak Organization", acronym="SO")
    login(make.user("org_admin", mine))
    content = _csv("Maram Foundation (MF),SY020405,Food Baskets,40",
                   "Shafak Organization (SO),SY020405,Food Baskets,9",
                   "Unknown Charity (UC),SY020405,Food Baskets,9")
    html = _upload(client, content).get_data(as_text=True)
    assert "هذا الصف يخص منظمة أخرى" in html  # "this row belongs to another organisation"
    assert "المنظمة &#39;Unknown Charity&#39; غير مسجلة هنا" in html
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    html = _upload(client, content).get_data(as_text=True)
    assert "this row belongs to another organisation" in html
    with client.session_transaction() as sess:
        sess["lang"] = "ar"
    token = _token(html)
    resp = client.post("/exchange/import/confirm", data={"token": token})
    assert resp.status_code == 400 and "لم يُستورد شيء" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
    resp = client.post("/exchange/import/confirm", data={"token": token, "accept_partial": "y"})
    assert resp.status_code == 302
    orgs = session.scalars(select(Activity.organization_id)).all()
    assert orgs == [mine.id]


def _people(session) -> tuple[int, int]:
    return session.execute(select(func.count(), func.coalesce(func.sum(
        Activity.reached_total), 0)).select_from(Activity)).one()


def test_a_corrected_upload_shows_the_difference_and_replaces_only_when_chosen(
        client, session, make, login, boundaries):
    """Uploading a corrected file again: the preview shows what would change; without the
    replace choice nothing is imported, with it the earlier import is replaced (one copy)."""
    login(make.user("platform_admin"))
    html = _upload(client, _csv("Maram Foundation (MF),SY020405,Food Baskets,40",
                                "MF,SY070301,Cooked Meals,12"), "food.csv").get_data(as_text=True)
    assert client.post("/exchange/import/confirm",
                       data={"token": _token(html), "name": "food.csv"}).status_code == 302
    assert tuple(_people(session)) == (2, 52)
    corrected = _csv("Maram Foundation (MF),SY020405,Food Baskets,45")
    resp = _upload(client, corrected, "food.csv")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "سبق استيراد هذا الملف" in html
    assert "المحتوى مختلف" in html  # nothing is imported unless replace is chosen
    diff = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert (diff["الصفوف المضافة"], diff["الصفوف المحذوفة"], diff["الصفوف المتغيّرة"]) == \
        ("0", "1", "1")
    assert (diff["الأشخاص الذين تم الوصول إليهم قبل"],
            diff["الأشخاص الذين تم الوصول إليهم بعد"]) == ("52", "45")
    assert 'name="replace"' in html and tuple(_people(session)) == (2, 52)
    resp = client.post("/exchange/import/confirm", data={"token": _token(html), "name": "food.csv"})
    assert resp.status_code == 400 and "سبق استيراد هذا الملف بمحتوى مختلف" in \
        resp.get_data(as_text=True)
    assert tuple(_people(session)) == (2, 52)
    resp = client.post("/exchange/import/confirm",
                       data={"token": _token(html), "name": "food.csv", "replace": "y"})
    assert resp.status_code == 302 and tuple(_people(session)) == (1, 45)
    statuses = session.execute(select(ImportBatch.source, ImportBatch.status)
                               .order_by(ImportBatch.id)).all()
    assert statuses == [("food.csv", "replaced"), ("food.csv", "active")]
    # the same file once more: the preview says it changes nothing
    html = _upload(client, corrected, "food.csv").get_data(as_text=True)
    assert "استيراده مرة أخرى لا يغيّر شيئاً" in html


def test_the_replace_choice_on_the_upload_page_previews_the_replacement_in_english(
        client, session, make, login, boundaries):
    mine = make.org(name_en="Maram Foundation", acronym="MF")
    login(make.user("org_admin", mine))
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    html = _upload(client, _csv("MF,SY020405,Food Baskets,40")).get_data(as_text=True)
    client.post("/exchange/import/confirm", data={"token": _token(html), "name": "4w.csv"})
    resp = client.post("/exchange/import", data={
        "file": (io.BytesIO(_csv("MF,SY020405,Food Baskets,41")), "4w.csv"), "replace": "y"},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert "Importing replaces it" in html and re.search(r'name="replace"[^>]* checked', html) \
        or re.search(r'checked[^>]*name="replace"', html)
    resp = client.post("/exchange/import/confirm",
                       data={"token": _token(html), "name": "4w.csv", "replace": "y"})
    assert resp.status_code == 302 and tuple(_people(session)) == (1, 41)
    # an organisation's uploads are its own source: no other file named 4w.csv is touched
    assert set(session.scalars(select(ImportBatch.source))) == {f"{mine.id}/4w.csv"}


def test_bad_upload_is_explained(client, make, login):
    login(make.user("platform_admin"))
    resp = _upload(client, b"colour,size\nred,2\n")
    assert resp.status_code == 400
    assert "لا توجد أعمدة مصفوفة 4W معروفة" in resp.get_data(as_text=True)
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    resp = _upload(client, b"colour,size\nred,2\n")
    assert "no recognisable 4W columns" in resp.get_data(as_text=True)


@pytest.mark.parametrize(("name", "content", "arabic"), [
    ("empty.csv", b"", "empty.csv: الملف فارغ."),
    ("windows.csv", "implementing_partner,governorate\nمرام,إدلب\n".encode("cp1256"),
     "windows.csv: النص ليس بترميز UTF-8"),
    ("utf16.csv", "implementing_partner,admin3pcode\nMF,SY020405\n".encode("utf-16"),
     "utf16.csv: النص ليس بترميز UTF-8"),
    ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 100,
     "broken.xlsx: ليس مصنف XLSX قابلاً للقراءة"),
])
def test_bad_files_are_named_as_uploaded_in_arabic(client, session, make, login, name, content,
                                                   arabic):
    """Whole-file errors name the file the user chose (not its random stored name), in
    Arabic, and nothing is written."""
    login(make.user("platform_admin"))
    resp = _upload(client, content, name)
    html = resp.get_data(as_text=True).replace("&#39;", "'")
    assert resp.status_code == 400 and arabic in html, html[-3000:]
    assert not re.search(r"[0-9a-f]{32}\.", html)
    assert session.scalar(select(func.count()).select_from(Activity)) == 0


@pytest.mark.parametrize("role,status", [("caseworker", 403), ("viewer", 403),
                                         ("planner", 403)])
def test_other_roles_cannot_import(client, make, login, role, status):
    login(make.user(role))
    assert _upload(client, _csv("MF,SY020405,Food Baskets,4")).status_code == status


def test_anonymous_is_asked_to_sign_in(client):
    resp = client.get("/exchange/")
    assert resp.status_code == 302 and "/auth/login" in resp.headers["Location"]


def _alias_case(session, tmp_path):
    from data.io.fourw import import_4w

    path = tmp_path / "a.csv"
    path.write_text("implementing_partner,abbreviation,admin3pcode,activity,beneficiaries\n"
                    "Hand in Hand for Aid and Development (HIHFAD),HIHFAD,SY020405,"
                    "Food Baskets,4\n"
                    "Hand in Hand For Syria (HIHFS),HIHFAD,SY070301,Cooked Meals,5\n",
                    encoding="utf-8")
    import_4w(session, path)
    from data.models import OrganizationAlias

    return session.scalar(select(OrganizationAlias).where(
        OrganizationAlias.alias == "Hand in Hand For Syria"))


@pytest.mark.parametrize("decision", ["same", "separate"])
def test_platform_admin_reviews_aliases(client, session, make, login, boundaries, tmp_path,
                                        decision):
    from data.models import Organization, Service

    alias = _alias_case(session, tmp_path)
    assert alias is not None and not alias.reviewed
    login(make.user("platform_admin"))
    html = client.get("/exchange/aliases").get_data(as_text=True)
    assert "Hand in Hand For Syria" in html and "أسماء منظمات بانتظار المراجعة" in html
    resp = client.post(f"/exchange/aliases/{alias.id}", data={"decision": decision})
    assert resp.status_code == 302
    session.refresh(alias)
    assert alias.reviewed
    orgs = session.scalars(select(Activity.organization_id).order_by(Activity.source_row)).all()
    if decision == "same":
        assert orgs[0] == orgs[1]
    else:
        assert orgs[0] != orgs[1]
        split = session.get(Organization, orgs[1])
        assert split.name_en == "Hand in Hand For Syria" and split.acronym == "HIHFS"
        assert session.scalar(select(Service.service_type_code).where(
            Service.organization_id == split.id)) == "food_assistance"
    assert session.scalar(select(AuditLog).where(AuditLog.action == "alias.review"))
    # the decision holds: importing the file again changes nothing
    from data.io.fourw import import_4w

    again = import_4w(session, tmp_path / "a.csv")
    assert again.created["activities"] == 0 and again.unchanged == 2


def test_org_admin_cannot_review_aliases(client, make, login):
    login(make.user("org_admin"))
    assert client.get("/exchange/aliases").status_code == 403


def test_a_confirmation_sent_twice_imports_once_and_says_so(client, session, make, login,
                                                            boundaries):
    """Pressed twice, or sent again when its answer was lost: one import, and the second
    answer says the file was imported (it said the upload had expired, so people uploaded
    it again)."""
    login(make.user("platform_admin"))
    html = _upload(client, _csv("MF,SY070301,Cooked Meals,12")).get_data(as_text=True)
    sent = {"token": _token(html)}
    first = client.post("/exchange/import/confirm", data=sent)
    again = client.post("/exchange/import/confirm?lang=en", data=sent)
    assert first.status_code == again.status_code == 302
    assert session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    page = client.get(again.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "This file has been imported already." in page
    assert session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "import.4w")) == 1
