"""Who can fill a gap (issue 21, finding 3): from a gap row, the verified organisations with
services of that sector in or near the area, with capacity and distance, and a one-click
partnership request with a message; never the reader's own partner suggestions."""

from __future__ import annotations

import html as html_lib
import re

from sqlalchemy import select, text

from data.models import PartnershipRequest


def _centre(session, pcode: str) -> tuple[float, float]:
    return session.execute(text(
        "SELECT ST_X(coalesce(centroid, ST_PointOnSurface(geom))), "
        "ST_Y(coalesce(centroid, ST_PointOnSurface(geom))) FROM admin_area WHERE pcode = :p"),
        {"p": pcode}).one()


def test_gap_row_leads_to_the_organisations_able_to_fill_it(client, session, make, login,
                                                            gaps_data):
    lon, lat = _centre(session, "SY07")
    near = make.org(name_en="Near Aid", name_ar="العون القريب")
    make.service(organization=near, coverage=["SY01"], service_type_code="prot_legal",
                 capacity_per_month=30, sites=[(lon + 0.1, lat)], target_groups=["women"])
    far = make.org(name_en="Far Aid")
    make.service(organization=far, coverage=["SY01"], service_type_code="prot_legal",
                 sites=[(lon + 1.5, lat)])
    pending = make.org(name_en="Pending Aid", verification="pending")
    make.service(organization=pending, coverage=["SY07"])
    health = make.org(name_en="Clinic Org")
    make.service(organization=health, coverage=["SY07"], service_type_code="health_primary")
    men = make.org(name_en="Men Only")
    make.service(organization=men, coverage=["SY07"], target_groups=["men"])
    me = make.org(name_en="Reader Org")
    admin = make.user("org_admin", me)
    login(admin)
    page = client.get("/gaps/?level=1&sector=protection&lang=en").get_data(as_text=True)
    row = next(r for r in page.split("</tr>") if "<code>SY07</code>" in r)
    link = html_lib.unescape(re.search(r'href="(/gaps/fill[^"]+)"', row).group(1))
    assert link == "/gaps/fill?sector=protection&pcode=SY07"
    assert "/partners/?area=" not in page  # not the reader's own suggestions any more
    found = client.get(link + "&lang=en").get_data(as_text=True)
    assert "Who can fill the Protection gap in Idleb" in found
    assert "Hope" in found and "Near Aid" in found and "Men Only" in found
    assert "Far Aid" not in found and "Pending Aid" not in found and "Clinic Org" not in found
    assert found.index("Hope") < found.index("Near Aid")  # covering the area comes first
    assert "covers Idleb" in found and re.search(r"site \d+\.\d km away", found)
    assert "Listed capacity: 30 people a month." in found
    assert f'href="/directory/organizations/{near.id}"' in found
    women = client.get(link + "&group=women&lang=en").get_data(as_text=True)
    assert "Men Only" not in women and "Near Aid" in women
    # one click: the request carries the prefilled message about the gap
    form = re.search(rf'<form[^>]*>(?:(?!</form>).)*value="{near.id}"(?:(?!</form>).)*</form>',
                     found, re.S).group(0)
    message = html_lib.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", form, re.S)
                                .group(1))
    assert message == "We would like to work with you to close the Protection gap in Idleb."
    assert 'action="/partners/requests"' in form
    resp = client.post("/partners/requests", data={"target": near.id, "message": message})
    assert resp.status_code == 302
    req = session.scalars(select(PartnershipRequest).where(
        PartnershipRequest.requester_org_id == me.id)).one()
    assert req.target_org_id == near.id and req.message == message
    again = client.get(link + "&lang=en").get_data(as_text=True)
    assert "Request pending" in again


def test_arabic_page_and_planner_without_request_button(client, make, login, gaps_data):
    login(make.user("planner"))
    page = client.get("/gaps/fill?pcode=SY07&sector=protection").get_data(as_text=True)
    assert "من يستطيع سدّ فجوة الحماية في إدلب" in page and 'dir="rtl"' in page
    assert "الأمل" in page and "/partners/requests" not in page


def test_bad_area_or_sector_is_a_clear_400(client, make, login, gaps_data):
    login(make.user("planner"))
    for query, words in (("pcode=SY99&sector=protection", "Unknown area p-code 'SY99'"),
                         ("pcode=SY07&sector=nope", "Unknown sector 'nope'"),
                         ("pcode=SY07", "Choose a sector or a service type."),
                         ("sector=protection", "Choose an area"),
                         ("pcode=SY07&sector=protection&group=aliens",
                          "Unknown target group 'aliens'")):
        resp = client.get(f"/gaps/fill?{query}&lang=en")
        assert resp.status_code == 400, query
        assert words in html_lib.unescape(resp.get_data(as_text=True)), query


def _pathway_form(page: str, org_id: int) -> str:
    """The referral-pathway request form addressed to ``org_id`` on a fill page."""
    forms = re.findall(r'<form[^>]*action="/partners/pathways"[^>]*>.*?</form>', page, re.S)
    return next(f for f in forms if f'name="target" value="{org_id}"' in f)


def test_referral_pathway_request_from_the_gap_accepted_by_the_other(client, session, make,
                                                                     login, gaps_data):
    """Finding 3 (the pathway half): "who can fill this gap" asks the listed organisation, in
    one click, for a referral pathway for the sector in the area; it sees the request, with
    the sector and the area in its reader's language, and accepts; asked again: refused."""
    from data.models import Notification, PathwayRequest

    near = make.org(name_en="Near Aid", name_ar="العون القريب")
    make.service(organization=near, coverage=["SY07"], service_type_code="prot_legal")
    me = make.org(name_en="Reader Org", name_ar="منظمة القارئ")
    admin, theirs = make.user("org_admin", me), make.user("org_admin", near)
    login(admin)
    link = "/gaps/fill?sector=protection&pcode=SY07"
    form = _pathway_form(client.get(link + "&lang=en").get_data(as_text=True), near.id)
    assert 'name="pcode" value="SY07"' in form and 'name="sector" value="protection"' in form
    message = html_lib.unescape(re.search(r"<textarea[^>]*>(.*?)</textarea>", form, re.S)
                                .group(1))
    assert message.startswith("We would like to refer people who need Protection services "
                              "in Idleb to you")
    resp = client.post("/partners/pathways", data={"target": near.id, "pcode": "SY07",
                                                   "sector": "protection", "message": message})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/partners/requests")
    req = session.scalars(select(PathwayRequest).where(
        PathwayRequest.requester_org_id == me.id)).one()
    assert (req.target_org_id, req.sector_code, req.pcode, req.status) == (
        near.id, "protection", "SY07", "pending")
    again = client.get(link + "&lang=en").get_data(as_text=True)
    assert "Referral pathway request pending" in again
    assert 'action="/partners/pathways"' in again  # the other listed organisations still
    sent = client.get("/partners/requests?lang=en").get_data(as_text=True)
    assert "Protection in Idleb" in sent and f'href="/directory/organizations/{near.id}"' in sent
    # the asked organisation reads it (Arabic), and accepts
    login(theirs)
    assert session.scalars(select(Notification.text_en).where(
        Notification.user_id == theirs.id)).all() == [
        "New referral pathway request from Reader Org"]
    inbox = client.get("/partners/requests?lang=ar").get_data(as_text=True)
    assert "الحماية في إدلب" in inbox and html_lib.escape(message) in inbox
    assert f'href="/directory/organizations/{me.id}"' in inbox
    assert client.post(f"/partners/pathways/{req.id}/accept").status_code == 302
    session.refresh(req)
    assert req.status == "accepted" and req.responded_at is not None
    assert client.post(f"/partners/pathways/{req.id}/decline").status_code == 409
    login(admin)
    assert "Referral pathway agreed" in client.get(link + "&lang=en").get_data(as_text=True)
    twice = client.post("/partners/pathways", data={"target": near.id, "pcode": "SY07",
                                                    "sector": "protection"})
    assert twice.status_code == 409
    assert "agreed a referral pathway for this sector and area already" in html_lib.unescape(
        client.post("/partners/pathways?lang=en", data={
            "target": near.id, "pcode": "SY07", "sector": "protection"}).get_data(as_text=True))


def test_referral_pathway_request_refused_with_a_reason(client, session, make, login,
                                                        gaps_data):
    """To oneself, twice, to an unverified organisation, for an unknown area or sector: refused
    with the reason on the requests page (4xx), nothing written; the asker withdraws, the
    other declines, only the asked organisation answers."""
    from data.models import PathwayRequest

    near = make.org(name_en="Near Aid")
    unverified = make.org(name_en="Pending Aid", verification="pending")
    me = make.org(name_en="Reader Org")
    admin = make.user("org_admin", me)
    login(admin)
    ok = {"target": near.id, "pcode": "SY07", "sector": "protection"}
    assert client.post("/partners/pathways", data=ok).status_code == 302
    cases = [
        ({**ok, "target": me.id}, 400, "cannot ask itself for a referral pathway"),
        (ok, 409, "A referral pathway request for this sector and area is pending"),
        ({**ok, "target": unverified.id}, 400,
         "Only verified organisations can be asked for a referral pathway"),
        ({**ok, "pcode": "SY99"}, 400, "Unknown area p-code 'SY99'"),
        ({**ok, "sector": "nope"}, 400, "Unknown sector 'nope'"),
        ({**ok, "sector": ""}, 400, "Choose a sector or a service type."),
        ({**ok, "target": "x"}, 400, "The request form is incomplete."),
        ({**ok, "message": "x" * 2001}, 400, "longer than 2,000 characters"),
    ]
    for data, status, words in cases:
        resp = client.post("/partners/pathways?lang=en", data=data)
        assert resp.status_code == status, data
        assert words in html_lib.unescape(resp.get_data(as_text=True)), data
    arabic = client.post("/partners/pathways?lang=ar", data={**ok, "target": me.id})
    assert "لا تستطيع المنظمة أن تطلب مسار إحالة من نفسها" in arabic.get_data(as_text=True)
    assert session.scalars(select(PathwayRequest)).all()[0].target_org_id == near.id
    assert len(session.scalars(select(PathwayRequest)).all()) == 1
    req = session.scalars(select(PathwayRequest)).one()
    assert client.post(f"/partners/pathways/{req.id}/accept").status_code == 403  # the asker
    assert client.post(f"/partners/pathways/{req.id}/withdraw").status_code == 302
    session.refresh(req)
    assert req.status == "withdrawn"
    # asked again after withdrawing: allowed; the other organisation declines
    assert client.post("/partners/pathways", data=ok).status_code == 302
    second = session.scalars(select(PathwayRequest).where(
        PathwayRequest.status == "pending")).one()
    login(make.user("org_admin", near))
    assert client.post(f"/partners/pathways/{second.id}/decline").status_code == 302
    session.refresh(second)
    assert second.status == "declined"
    login(make.user("org_admin", make.org(name_en="Stranger")))
    assert client.post(f"/partners/pathways/{second.id}/withdraw").status_code == 404
