"""The directory's page use cases: what one viewer sees of a service and an organisation."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from data.errors import NotFound

P = (36.63, 35.93)  # Idleb city

# (viewer, sees the sensitive site's address, may edit)
SERVICE_VIEWERS = [
    ("public", False, False),
    ("caseworker elsewhere", True, False),
    ("admin of another organisation", False, False),
    ("admin of the provider", True, True),
    ("platform admin", True, True),
]


@pytest.mark.parametrize(("who", "sees", "edits"), SERVICE_VIEWERS,
                         ids=[c[0] for c in SERVICE_VIEWERS])
def test_service_page_redacts_and_permits_by_viewer(session, make, who, sees, edits):
    from network.directory_pages import service_page
    from referral.search import Viewer

    svc = make.service(sensitive=True, sites=[P], coverage=["SY07"])
    other = make.org()
    viewer = {"public": Viewer(),
              "caseworker elsewhere": Viewer("caseworker", other.id),
              "admin of another organisation": Viewer("org_admin", other.id),
              "admin of the provider": Viewer("org_admin", svc.organization_id),
              "platform admin": Viewer("platform_admin")}[who]
    page = service_page(session, svc.id, viewer)
    (site,) = page.detail["sites"]
    assert site["hidden"] is not sees
    assert (site["lat"] is not None) is sees
    assert page.can_edit is edits
    assert page.referral_stats is None  # no ranking refresh yet
    drawn = session.scalar(text("SELECT geom IS NOT NULL FROM admin_area WHERE pcode = 'SY07'"))
    assert [f["properties"]["pcode"] for f in page.outlines] == (["SY07"] if drawn else [])
    with pytest.raises(NotFound):
        service_page(session, svc.id + 10_000, viewer)


@pytest.mark.parametrize(("own", "alerts"), [(True, True), (False, False)])
def test_organization_page_shows_alerts_to_its_own_admins_only(session, make, own, alerts):
    from network.directory_pages import organization_page
    from referral.search import Viewer

    svc = make.service(coverage=["SY07"])
    org_id = svc.organization_id
    viewer = Viewer("org_admin", org_id if own else make.org().id)
    page = organization_page(session, org_id, viewer)
    assert [s.id for s in page.services] == [svc.id]
    assert page.can_edit is own
    assert (page.alerts is not None) is alerts
    assert page.partners == []
    with pytest.raises(NotFound):
        organization_page(session, org_id + 10_000, viewer)
