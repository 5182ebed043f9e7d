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
