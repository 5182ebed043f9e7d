"""Pages whose query count matters run a fixed number of statements, whatever the data (no N+1)."""

from __future__ import annotations

import pytest

from tests.kits.referrals import new_referral, world_fixture  # noqa: F401

PAGES = [  # (user's side, url pattern)
    ("receiver", "/referrals/in"),
    ("sender", "/referrals/out"),
    ("sender", "/notifications/"),
]


def _statements(client, count_queries, url) -> int:
    with count_queries() as q:
        assert client.get(url).status_code == 200
    return q.count


@pytest.mark.parametrize("side,url", PAGES)
def test_box_pages_do_not_grow_with_their_rows(client, login, session, world, count_queries,
                                               side, url):
    login(world.users[(side, "caseworker")])
    new_referral(session, world)
    _statements(client, count_queries, url)  # warm: first-request lookups of the app
    few = _statements(client, count_queries, url)
    for _ in range(6):
        new_referral(session, world)
    many = _statements(client, count_queries, url)
    assert few > 0 and many == few


def test_the_counter_sees_each_statement(client, login, session, world, count_queries):
    from sqlalchemy import text

    with count_queries() as q:
        session.execute(text("SELECT 1"))
        session.execute(text("SELECT 2"))
    assert q.count == 2 and q.statements[-1] == "SELECT 2"
