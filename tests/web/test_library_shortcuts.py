"""Two request-hook shortcuts lean on names that Flask-Limiter and Flask-Login do not publish
(``web.extensions._only_when_enabled``, ``web.security._anonymous_without_asking``): a release
that renames them must leave the libraries' own paths working, never stop the app."""

from __future__ import annotations

import functools

from flask import Flask


def _app():
    from app import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "x", "RATELIMIT_ENABLED": False,
                       "DATABASE_URL": "postgresql://nobody@/none?host=/nonexistent"})


def test_limiter_hooks_not_where_expected_are_left_as_they_are():
    from web.extensions import _only_when_enabled, limiter

    app = Flask(__name__)  # the hooks the shortcut swaps are not there: as after a rename
    hook = functools.partial(lambda lim, resp: resp, limiter)
    app.after_request_funcs[None] = [hook]
    _only_when_enabled(app)  # (it raised StopIteration / ValueError)
    assert app.after_request_funcs[None] == [hook]
    assert app.before_request_funcs.get(None, []) == []


def test_limiter_shortcut_swaps_the_three_hooks_of_this_release():
    from web.extensions import limiter

    app = _app()
    before = app.before_request_funcs[None]
    assert limiter._check_request_limit not in before  # replaced by the switchable one
    assert any(getattr(f, "__name__", "") == "check_limits" for f in before)
    app.extensions["tasharuk_db"]["engine"].dispose()


def test_a_login_manager_without_its_loader_names_is_asked_as_usual(monkeypatch):
    app = _app()
    manager = app.login_manager
    monkeypatch.delattr(manager, "_request_callback")  # (a release that renamed it)
    from web.security import _anonymous_without_asking

    with app.test_request_context("/"):
        assert _anonymous_without_asking() is False  # (it raised AttributeError)
    resp = app.test_client().get("/healthz")  # every hook runs: the visitor is anonymous
    assert resp.status_code == 200
    app.extensions["tasharuk_db"]["engine"].dispose()


def test_a_login_manager_with_no_loaders_skips_asking():
    app = _app()
    from web.security import _anonymous_without_asking

    with app.test_request_context("/"):
        assert _anonymous_without_asking() is True
    app.extensions["tasharuk_db"]["engine"].dispose()
