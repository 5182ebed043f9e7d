"""gunicorn's logger without the access line nobody reads.

Why: the app writes one JSON line a request itself (``web.ops.requestlog``) and the
configuration keeps ``gunicorn.access`` at WARNING, but gunicorn still built every request's
access-log fields (``Logger.atoms``, ~6 % of a served search's Python time under py-spy) before
the logger dropped the line. This logger asks the access logger first.
"""

from __future__ import annotations

import logging

from gunicorn.glogging import Logger

__all__ = ["AppLogger"]


class AppLogger(Logger):
    """gunicorn's Logger that skips the access line when ``gunicorn.access`` would drop it."""

    def access(self, resp, req, environ, request_time) -> None:
        """Log the access line only when the access logger is enabled for INFO."""
        if self.access_log.isEnabledFor(logging.INFO):
            super().access(resp, req, environ, request_time)
