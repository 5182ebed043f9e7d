"""A form that creates something sends it once: its own key, claimed with what it sends.

Why: on a poor connection people press "send" twice, or send a form again when its answer
never came, or go Back and send it again; each created a second referral, forum post, note,
request or report. A form class takes ``SentOnce`` (a hidden ``submission`` key, new for each
form shown); its view ``claim``s the key with what the form sends in the transaction that
creates the thing, and a repeat gets the ids of what the first created (``data.submissions``).
``static/js/sent_once.js`` gives a form reached by Back the key it was sent with (loaded by
the layout on the pages that ``mark`` it).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from flask import g, has_request_context
from wtforms import HiddenField

from data.db import db
from data.submissions import Claim, is_key, record
from data.submissions import claim as claim_key

from .extensions import counted_as
from .security import caller

__all__ = ["SentOnce", "claim", "content_of", "keep", "key_of", "mark", "new_key"]

PUBLIC_OWNER = "public"  # the public's forms: the key itself is the secret (24 random bytes)


def new_key() -> str:
    """A new form's key: 32 URL-safe characters, never guessed."""
    return secrets.token_urlsafe(24)


def mark() -> None:
    """Say that this page has a sent-once form: the layout then loads ``sent_once.js`` (the
    other pages do without it)."""
    if has_request_context():
        g.sent_once = True


class SentOnce:
    """A form mixin: the hidden ``submission`` key, new for each form shown and kept when a
    refused form is shown again (its content then differs from what is sent next)."""

    submission = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.submission.data:
            self.submission.data = new_key()
        mark()


def key_of(value: Any) -> str | None:
    """A key as sent, when it looks like one (``data.submissions.is_key``), else None."""
    return value if isinstance(value, str) and is_key(value) else None


def claim(kind: str, key: Any, payload: Any) -> Claim:
    """Claim a form's ``key`` for the caller with what it sends (a changed form is a new
    request): ``repeat`` holds what the first created. Without a key of the right shape (a
    page from before keys, a crafted post) never a repeat: no protection, and no error
    either."""
    key = key_of(key)
    if key is None:
        return Claim("", kind, "", None)
    return claim_key(db.session, counted_as(caller()) or PUBLIC_OWNER, key, payload,
                     kind=kind, same_body=False)


def keep(claimed: Claim, *ids: int) -> None:
    """Keep what the first request of ``claimed`` created (same transaction)."""
    if claimed.key_hash:
        record(db.session, claimed, list(ids))


def content_of(form: Any, files: Sequence[tuple[str, bytes]] = ()) -> dict[str, Any]:
    """What ``form`` sends, for its claim: its fields but the key and the CSRF token, and
    each uploaded file's name and SHA-256 (``files``: (name, bytes), as read)."""
    data = {name: value for name, value in form.data.items()
            if name not in ("submission", "csrf_token") and not hasattr(value, "read")}
    if files:
        data["files"] = [[name, hashlib.sha256(body).hexdigest()] for name, body in files]
    return data
