"""Serving and receiving attachments (shared by the library and the forum)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from urllib.parse import quote

from flask import abort, current_app, send_file
from flask_babel import gettext as _

from data import attachments
from data.errors import BadInput
from data.models import Attachment


def upload_folder() -> str:
    """Where attachments are stored (the app's UPLOAD_FOLDER)."""
    return current_app.config["UPLOAD_FOLDER"]


def max_bytes() -> int:
    """The attachment size limit (ATTACHMENT_MAX_BYTES, 10 MB by default)."""
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES", attachments.DEFAULT_MAX_BYTES))


def read_uploads(files) -> list[tuple[str, bytes]]:
    """(name, bytes) of each non-empty uploaded file (werkzeug FileStorage)."""
    out = []
    for f in files:
        if f is not None and getattr(f, "filename", ""):
            out.append((f.filename, f.read()))
    return out


def file_error_message(exc: BadInput) -> str:
    """The refusal of a file in the reader's language."""
    details = exc.details if isinstance(exc.details, dict) else {}
    if "max_bytes" in details:
        return _("The file is too large: the limit is %(mb)s MB.",
                 mb=f"{details['max_bytes'] / 1048576:.1f}")
    if details.get("truncated"):
        return _("The file is incomplete: it may not have finished downloading or uploading. "
                 "Send the whole file again.")
    if "detected" in details:
        # (the detected type, "image/png" or "unknown", stays in the API's details: a person
        # reading the form is not helped by it)
        return _("The file's content is not a PDF, DOCX, PNG or JPEG file matching its name.")
    return _("The file is empty.")


def send_attachment(att: Attachment, *, private: bool):
    """The stored file with its checked type, a safe disposition and no sniffing.

    A file that needs a sign-in (``private``) is ``Cache-Control: private, no-store``, so no
    shared proxy or browser cache keeps a copy for the next person; public files are cached.
    """
    path = attachments.open_path(upload_folder(), att.storage_key)
    resp = send_file(path, mimetype=att.content_type, max_age=None if private else 3600,
                     conditional=not private)
    if private:
        resp.headers["Cache-Control"] = "private, no-store"
        resp.headers.pop("Expires", None)
    disposition = "inline" if att.content_type in attachments.INLINE else "attachment"
    ascii_name = att.filename.encode("ascii", "ignore").decode() or "file"
    ascii_name = ascii_name.replace('"', "").replace("\\", "")
    resp.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(att.filename)}")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def attachment_response(file_id: str, find: Callable[[uuid.UUID], Attachment],
                        private: Callable[[Attachment], bool]):
    """The attachment ``find`` returns for ``file_id`` (a UUID; anything else is a 404);
    ``private(att)`` tells whether it needs a sign-in (then it is never cached)."""
    try:
        key = uuid.UUID(file_id)
    except ValueError:
        abort(404)
    att = find(key)
    return send_attachment(att, private=private(att))
