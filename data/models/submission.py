"""Requests that created something, by who sent them, what they created and their key."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ARRAY, DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class Submission(Base):
    """A request that created something (referrals, a forum thread or reply, a note, a
    service, a document, a report...), by who sent it, the kind of thing and its key: the
    same request again (a double click, a form sent once more after its answer was lost on a
    poor connection, an API client's retry with its ``Idempotency-Key``) gets what the first
    one created instead of a second copy (``data.submissions``). Kept a day."""

    __tablename__ = "submission"

    owner: Mapped[str] = mapped_column(String(40), primary_key=True)  # user:1 / org:2 / public
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)  # referral, forum_thread...
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the key
    body_hash: Mapped[str] = mapped_column(String(64))  # of the key and the request's content
    created_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now(), index=True)
