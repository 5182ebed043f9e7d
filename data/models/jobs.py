"""The errors of failed background-job attempts (procrastinate keeps states, not errors)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class JobError(Base):
    """One failed attempt of a job: which, when, and the error (never personal data)."""

    __tablename__ = "job_error"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # procrastinate_jobs.id; the migration adds the foreign key (that table is not ours)
    job_id: Mapped[int] = mapped_column(BigInteger, index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    error_type: Mapped[str] = mapped_column(String(120))
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
