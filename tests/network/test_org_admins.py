"""Who speaks for an organisation: ``org_admins``, its active admins ordered by id; and a new
referral, told to the receiver's active admins or, when it has none, to its caseworkers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.members import org_admins
from data.models import Notification
from tests.kits.referrals import new_referral, world_fixture  # noqa: F401


@pytest.fixture
def roster(make, session) -> dict[str, object]:
    """Five organisations and their people, created interleaved so that ids cross orgs."""
    a, b, c = make.org(), make.org(), make.org()
    quiet, staff_only = make.org(), make.org()
    people = {"A": a, "B": b, "C": c, "quiet": quiet, "staff_only": staff_only}
    people["a1"] = make.user("org_admin", a)
    people["b1"] = make.user("org_admin", b)
    people["a2"] = make.user("org_admin", a)
    people["a_gone"] = make.user("org_admin", a, active=False)
    people["c1"] = make.user("org_admin", c)
    for role in ("supervisor", "caseworker", "planner", "viewer"):  # not admins: never asked
        make.user(role, a)
        make.user(role, staff_only)
    make.user("org_admin", quiet, active=False)
    make.user("platform_admin")
    people["a1"].name = "Renamed"  # PostgreSQL now stores a1's row last: order is not storage
    session.flush()
    return people


@pytest.mark.parametrize(("orgs", "expected"), [
    pytest.param(["A"], ["a1", "a2"], id="one organisation, not its inactive admin or staff"),
    pytest.param(["A.id"], ["a1", "a2"], id="one organisation by id"),
    pytest.param(["B"], ["b1"], id="not another organisation's admins"),
    pytest.param(["A", "B"], ["a1", "b1", "a2"], id="several organisations, by id"),
    pytest.param(["B.id", "A", "A"], ["a1", "b1", "a2"], id="ids and objects, repeated"),
    pytest.param(["quiet"], [], id="an inactive admin is left out"),
    pytest.param(["staff_only"], [], id="other roles are left out"),
    pytest.param([], [], id="no organisation, no query"),
])
def test_org_admins(session, roster, orgs, expected):
    args = [roster[o[:-3]].id if o.endswith(".id") else roster[o] for o in orgs]
    assert [u.id for u in org_admins(session, *args)] == [roster[k].id for k in expected]


@pytest.mark.parametrize(("admin_active", "told"), [
    (True, ["org_admin"]),
    (False, ["supervisor", "caseworker"]),  # no active admin: its other staff hear instead
])
def test_a_new_referral_is_told_to_the_receivers_active_admins(session, world, admin_active,
                                                               told):
    world.users[("receiver", "org_admin")].active = admin_active
    referral = new_referral(session, world, status="sent")
    assert session.scalars(select(Notification.user_id).where(
        Notification.kind == "referral.send",
        Notification.link == f"/referrals/{referral.id}")).all() == [
        world.users[("receiver", role)].id for role in told]
