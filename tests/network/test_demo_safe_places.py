"""The demo's safe places (issue 23): ``bootstrap`` (what ``make run`` does) makes the sites of
the demo's sensitive services and safe spaces confidential behind their sub-district, and gives
the organisations with demo members focal points for their sensitive services."""

from __future__ import annotations

import pytest
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select, text

from data.models import AdminArea, FocalPoint, ServiceSite, User


def _bootstrap(runner, session):
    session.execute(text("DELETE FROM organization"))
    result = runner.invoke(args=["bootstrap", "--demo-orgs", "12", "--seed", "5"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_hides_its_safe_places_behind_their_sub_district(app, runner, session,
                                                                  boundaries):
    from network.demo import SAFE_TYPES
    from referral.confidential import site_exact

    out = _bootstrap(runner, session)
    hidden = session.scalars(select(ServiceSite).where(ServiceSite.confidential)).all()
    assert hidden and f"confidential sites: {len(hidden)}" in out
    with app.test_request_context():
        for site in hidden:
            area = session.get(AdminArea, site.admin3_pcode)
            gate, exact = to_shape(site.geom), site_exact(site)
            assert (gate.x, gate.y) == (to_shape(area.centroid).x, to_shape(area.centroid).y)
            assert (site.front_gate, site.address_en) == ("subdistrict", area.name_en)
            assert exact["admin3_pcode"] == area.pcode
            assert area.pcode == session.scalar(text(
                "SELECT pcode FROM admin_area WHERE level = 3 AND ST_Contains(geom, "
                "ST_SetSRID(ST_MakePoint(:x, :y), 4326))"), {"x": exact["lon"], "y": exact["lat"]})
    left = session.scalar(text("""
        SELECT count(*) FROM service_site s JOIN service v ON v.id = s.service_id
        JOIN service_type t ON t.code = v.service_type_code
        JOIN admin_area a ON a.pcode = s.admin3_pcode
        WHERE NOT s.confidential AND a.centroid IS NOT NULL
          AND (v.sensitive OR t.sensitive OR t.code = ANY(:safe))"""),
        {"safe": SAFE_TYPES})
    assert left == 0
    # the demo's focal points: a caseworker of an organisation with demo members
    points = session.execute(select(FocalPoint.pcode, User.email, User.role).join(
        User, User.id == FocalPoint.user_id)).all()
    assert f"focal points: {len(points)}" in out
    assert points and {(e.endswith("@demo.tasharuk"), r) for _p, e, r in points} == {
        (True, "caseworker")}
    assert {len(p) for p, _e, _r in points} == {4}  # governorates
    # the sending demo caseworker, a non-specialist, meets "request through the focal point"
    from data.models import Service
    from referral.access import routes_through_focal_point

    sender = session.scalar(select(User).where(User.email == "sender@demo.tasharuk"))
    receiver = session.scalar(select(User).where(User.email == "caseworker@demo.tasharuk"))
    routed = [svc for svc in session.scalars(select(Service).where(
        Service.organization_id == receiver.organization_id))
        if routes_through_focal_point(session, svc, sender)]
    assert routed and all(not routes_through_focal_point(session, svc, receiver)
                          for svc in routed)


def test_without_a_data_key_no_site_is_made_confidential(app, runner, session, boundaries,
                                                         monkeypatch):
    monkeypatch.setitem(app.config, "TASHARUK_DATA_KEYS", "")
    out = _bootstrap(runner, session)
    assert "are not made confidential" in out
    assert session.scalar(select(func.count()).where(ServiceSite.confidential)) == 0


@pytest.mark.parametrize("again", [True])
def test_a_second_bootstrap_adds_nothing(runner, session, boundaries, again):
    _bootstrap(runner, session)
    before = session.scalar(select(func.count()).select_from(FocalPoint))
    second = runner.invoke(args=["bootstrap", "--demo-orgs", "12", "--seed", "5"])
    assert "demo data not loaded" in second.output and "focal points" not in second.output
    assert session.scalar(select(func.count()).select_from(FocalPoint)) == before
