"""Flask's per-request machinery without the work a request that needs none of it still paid.

Why: a served search is ~4 ms of the app's CPU and Flask's request machinery, hooks and
teardown were ~45 % of it (docs/performance.md, "The app's share"). Two parts did the same
work on every request for nothing: Flask asked ``inspect`` whether each hook and view is a
coroutine function (~18 times a request), and the cookie session built its signing
serializer (key derivation objects) before looking for a cookie, and again to find there was
nothing to save. The answers are the same as Flask's own, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

__all__ = ["LeanCookieSessions", "TasharukFlask"]


_SYNCED_MAX = 4096  # hooks, views and handlers number in the hundreds


class TasharukFlask(Flask):
    """Flask with ``ensure_sync`` remembered per function (hooks, views, error handlers)."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """The synchronous callable for ``func``, asked of ``inspect`` once per function
        (a function does not change kind)."""
        cache = self.__dict__.setdefault("_synced", {})
        try:
            return cache[func]
        except KeyError:
            synced = super().ensure_sync(func)
            if len(cache) < _SYNCED_MAX:
                cache[func] = synced
            return synced
        except TypeError:  # an unhashable callable: ask every time, as Flask does
            return super().ensure_sync(func)


class LeanCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, building the signer only when a cookie is read or
    written: a request without the cookie gets an empty session, and an empty, unmodified
    session saves nothing (``Vary: Cookie`` still added when it was read)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session when the request has no session cookie, else Flask's own."""
        if app.secret_key and ("HTTP_COOKIE" not in request.environ  # (nothing to parse)
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing to write for an empty, unmodified session; else Flask's own."""
        if not session and not session.modified:
            if session.accessed:
                _vary_on_cookie(response)
            return
        super().save_session(app, session, response)


def _vary_on_cookie(response: Response) -> None:
    """``response.vary.add("Cookie")``: when the response has no ``Vary`` yet, the header it
    would write, without parsing an empty header set and writing it back."""
    if any(key.lower() == "vary" for key, _value in response.headers):
        response.vary.add("Cookie")
    else:
        response.headers.add("Vary", "Cookie")
