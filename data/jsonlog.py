"""Log records as JSON lines (the web app's under gunicorn, ``tasharuk worker``'s): one object a
line with the time, level, logger and message, or the record's own ``fields``, and the id of
the request or job being served, so that journald keeps one entry a record and the lines join
the audit log."""

from __future__ import annotations

import datetime as dt
import logging

import orjson

from data import requestid

__all__ = ["JsonFormatter", "log_json_lines"]


class JsonFormatter(logging.Formatter):
    """Each record as one JSON object on one line (time, level, logger, message, request id)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                    timespec="milliseconds"),
                "level": record.levelname.lower(), "logger": record.name}
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        else:
            line["message"] = record.getMessage()
            rid = requestid.current()
            if rid:
                line["request_id"] = rid
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def log_json_lines(level: int = logging.INFO) -> None:
    """This process's log records as JSON lines on stderr, from ``level`` up (``tasharuk
    worker``: as gunicorn's configuration does for the web app)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
