"""Helpers for export tests: imported organisations arrive pending, and exports show only
verified ones, so a test that exports what it imported verifies them first."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session


def verify_all(session: Session) -> None:
    """Mark every organisation verified (as a platform admin would after review)."""
    from data.models import Organization

    session.execute(update(Organization).values(verification="verified"))
    session.flush()
