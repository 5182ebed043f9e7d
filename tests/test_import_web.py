"""The 4W import from the web: upload -> preview -> confirm, by platform and org admins."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from data.models import Activity, AuditLog


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
    assert "this row belongs to another organisation" in html
    assert "is not registered here" in html
    token = _token(html)
    resp = client.post("/exchange/import/confirm", data={"token": token})
    assert resp.status_code == 400 and "لم يُستورد شيء" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Activity)) == 0
    resp = client.post("/exchange/import/confirm", data={"token": token, "accept_partial": "y"})
    assert resp.status_code == 302
    orgs = session.scalars(select(Activity.organization_id)).all()
    assert orgs == [mine.id]


def test_bad_upload_is_explained(client, make, login):
    login(make.user("platform_admin"))
    resp = _upload(client, b"colour,size\nred,2\n")
    assert resp.status_code == 400
    assert "no recognisable 4W columns" in resp.get_data(as_text=True)


@pytest.mark.parametrize("role,status", [("caseworker", 403), ("viewer", 403),
                                         ("planner", 403)])
def test_other_roles_cannot_import(client, make, login, role, status):
    login(make.user(role))
    assert _upload(client, _csv("MF,SY020405,Food Baskets,4")).status_code == status


def test_anonymous_is_asked_to_sign_in(client):
    assert client.get("/exchange/").status_code in (302, 401)
