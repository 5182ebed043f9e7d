"""Organisations (NGOs, charities, agencies) and the aliases used to de-duplicate them."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamps

ORG_TYPES = ("local_ngo", "international_ngo", "charity", "cbo", "un_agency", "government",
             "private", "other")
VERIFICATION_STATES = ("pending", "verified", "rejected", "suspended")


class Organization(Timestamps, Base):
    """An organisation; ``verification`` is pending until a platform admin verifies it."""

    __tablename__ = "organization"
    __table_args__ = (
        CheckConstraint(f"org_type IN {ORG_TYPES}", name="org_type"),
        CheckConstraint(f"verification IN {VERIFICATION_STATES}", name="verification"),
        Index("ix_organization_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
        Index("ix_organization_search_fts", text("to_tsvector('simple', search_text)"),
              postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4, unique=True)
    name_ar: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    acronym: Mapped[str | None] = mapped_column(String(40), index=True)
    registration_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    org_type: Mapped[str] = mapped_column(String(30), default="local_ngo")
    hq_pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_area.pcode"), index=True)
    description_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    verification: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Normalised names, acronym and aliases (textmatch.arabic.normalize), for trigram/FTS search.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    aliases: Mapped[list[OrganizationAlias]] = relationship(
        back_populates="organization", cascade="all, delete-orphan")
    services: Mapped[list[Service]] = relationship(  # noqa: F821
        back_populates="organization", cascade="all, delete-orphan")

    @hybrid_property
    def verified(self) -> bool:
        """Verified by a platform admin: only such organisations are shown to others (also a
        SQL condition, ``select(...).where(Organization.verified)``)."""
        return self.verification == "verified"

    def name(self, locale: str = "ar") -> str:
        return self.name_en if locale == "en" else self.name_ar


class OrganizationAlias(Base):
    """Another spelling of an organisation's name; imports reuse reviewed decisions."""

    __tablename__ = "organization_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(Text)
    alias_norm: Mapped[str] = mapped_column(Text, unique=True)
    source: Mapped[str] = mapped_column(String(40), default="manual")
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)

    organization: Mapped[Organization] = relationship(back_populates="aliases")
