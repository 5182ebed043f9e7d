"""web.lean: Flask's request machinery without the work a request that needs none of it paid,
with the same answers (the session cookie, ``Vary``, sync hooks)."""

from __future__ import annotations

from flask import session

from web.lean import LeanCookieSessions, TasharukFlask


def test_the_app_uses_the_lean_machinery(app):
    assert isinstance(app, TasharukFlask)
    assert isinstance(app.session_interface, LeanCookieSessions)


def test_a_request_without_a_cookie_gets_none_and_a_read_session_still_varies(client):
    answer = client.get("/api/v1/services?need=nothing-like-this-at-all")
    assert "Set-Cookie" not in answer.headers
    assert "Cookie" in answer.headers.get("Vary", "")  # the locale read the session


def test_a_session_written_is_sent_and_read_back(app, client):
    answer = client.get("/?lang=en")
    assert "session=" in answer.headers.get("Set-Cookie", "")
    with client.session_transaction() as sess:
        assert sess["lang"] == "en"
    with app.test_request_context("/"):
        assert "lang" not in session  # a request without the cookie starts empty


def test_a_sync_function_is_itself_and_remembered(app):
    def view():
        return "x"

    assert app.ensure_sync(view) is view
    assert app.__dict__["_synced"][view] is view


def test_an_async_function_is_still_wrapped(app):
    async def view():
        return "x"

    synced = app.ensure_sync(view)
    assert synced is not view and callable(synced)
