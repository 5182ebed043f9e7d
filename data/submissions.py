"""The same request to create something, sent twice, creates it once.

A caseworker on a poor connection presses "send" twice, or sends the form again when its
answer never came; an API client retries a timed-out POST with the same ``Idempotency-Key``.
``claim`` records the request's key for its sender and the kind of thing it creates
(``referral``, ``forum_thread``...) in the transaction that creates it: the first claim goes
on (and ``record`` keeps the ids of what it created), a repeat gets the first one's ids. A
concurrent repeat waits on the primary key until the first commits, then reads them; if the
first rolls back (refused input), the repeat goes on as new. Only hashes are kept (the key,
and the key with the request's content), for a day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from data.errors import BadInput, Conflict
from data.models import Submission

__all__ = ["KEY_PATTERN", "KEPT", "Claim", "check_key", "claim", "is_key", "purge", "record"]

KEY_PATTERN = r"[\x21-\x7e]{8,64}"  # printable ASCII without spaces, as header values go
KEPT = dt.timedelta(days=1)


@dataclass(frozen=True)
class Claim:
    """A claimed key: ``repeat`` holds the ids of what the first request with this key
    created (None: this is the first, go on and ``record``)."""

    owner: str
    kind: str
    key_hash: str
    repeat: list[int] | None


def is_key(key: str) -> bool:
    """Whether ``key`` looks like one: 8-64 printable characters without spaces."""
    return re.fullmatch(KEY_PATTERN, key) is not None


def check_key(key: str, field: str) -> str:
    """``key`` when it looks like one (``is_key``), else BadInput naming ``field``."""
    if not is_key(key):
        raise BadInput(_("%(field)s must be 8 to 64 printable characters without spaces.",
                         field=field), field=field)
    return key


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def claim(session: Session, owner: str, key: str, body: Any, *, kind: str,
          same_body: bool = True) -> Claim:
    """Claim ``key`` for ``owner`` and ``kind`` with the request's content ``body``
    (JSON-able).

    A repeat with other content is a new request for a form (``same_body=False``: a person
    went back, changed the form and sent it again; its key is then the key with the content)
    and a Conflict for the API (``same_body=True``: a client must not reuse a key)."""
    content = json.dumps(body, sort_keys=True, default=str, ensure_ascii=False)
    body_hash = _digest(key, content)
    key_hash = _digest(key) if same_body else body_hash
    inserted = session.execute(
        insert(Submission).values(owner=owner, kind=kind, key_hash=key_hash,
                                  body_hash=body_hash, created_ids=[])
        .on_conflict_do_nothing().returning(Submission.key_hash)).first()
    if inserted is not None:
        return Claim(owner, kind, key_hash, None)
    first = session.execute(select(Submission.body_hash, Submission.created_ids).where(
        Submission.owner == owner, Submission.kind == kind,
        Submission.key_hash == key_hash)).one()
    if first.body_hash != body_hash:
        raise Conflict(_("This Idempotency-Key was used for another request: use a new key "
                         "for a new request."), code="idempotency_key_reused")
    return Claim(owner, kind, key_hash, list(first.created_ids))


def record(session: Session, claimed: Claim, ids: list[int]) -> None:
    """Keep the ids of what the first request of ``claimed`` created (same transaction)."""
    session.execute(update(Submission).where(
        Submission.owner == claimed.owner, Submission.kind == claimed.kind,
        Submission.key_hash == claimed.key_hash).values(created_ids=ids))


def purge(session: Session, now: dt.datetime | None = None) -> int:
    """Delete the keys older than ``KEPT`` (nightly, ``submissions.purge``)."""
    now = now or dt.datetime.now(dt.UTC)
    return session.execute(delete(Submission).where(Submission.created_at < now - KEPT)
                           ).rowcount or 0
