"""Dates and times are shown in Syria's time zone, the same way in both languages."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.mark.parametrize("value, expected", [
    (dt.datetime(2026, 7, 30, 22, 30, tzinfo=dt.UTC), "2026-07-31 01:30"),
    (dt.datetime(2026, 1, 15, 9, 5), "2026-01-15 12:05"),  # naive values are UTC
    (dt.date(2026, 7, 30), "2026-07-30"),
])
def test_when_is_local_time_in_a_time_tag(app, value, expected):
    from web.ui import when

    with app.test_request_context("/"):
        html = str(when(value))
    assert f'dir="ltr">{expected}</time>' in html and html.startswith("<time datetime=")


def test_day_uses_the_local_day_and_missing_values_are_a_dash(app):
    from web.ui import day, number

    with app.test_request_context("/"):
        assert ">2026-07-31<" in str(day(dt.datetime(2026, 7, 30, 22, 0, tzinfo=dt.UTC)))
        assert day(None) == "—"
        assert number(1234567) == "1,234,567" and number(None) == "—"


def test_audit_log_shows_local_times(client, session, make, login):
    from data.audit import record

    admin = make.user("platform_admin")
    entry = record(session, "test.polish", user=admin, object_type="user", object_id=admin.id)
    session.flush()
    login(admin)
    html = client.get("/accounts/admin/audit?action=test.polish").get_data(as_text=True)
    local = entry.at.astimezone(dt.timezone(dt.timedelta(hours=3)))
    assert local.strftime("%Y-%m-%d %H:%M") in html
    assert "عنوان IP" in html
