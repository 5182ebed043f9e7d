"""The library of laws, decrees, decisions and circulars; file attachments (library and forum)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamps
from .taxonomy import Sector, ServiceType

DOC_KINDS = ("law", "legislative_decree", "decree", "ministerial_decision", "circular",
             "guideline", "form")
DOC_STATUSES = ("in_force", "amended", "repealed")
TOPICS = ("registration", "licensing", "financing", "reporting", "taxation", "partnerships")

# The search vector: our normalised keys (title weighted A, body C) plus PostgreSQL's own
# Arabic and English stemmers on the raw text. Generated, so it can never go stale.
_TSV = (
    "setweight(to_tsvector('simple', coalesce(search_title, '')), 'A') || "
    "setweight(to_tsvector('arabic', coalesce(title_ar, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(title_en, '')), 'A') || "
    "setweight(to_tsvector('simple', coalesce(search_body, '')), 'C') || "
    "setweight(to_tsvector('arabic', coalesce(summary_ar, '') || ' ' || coalesce(body_ar, '')), "
    "'C') || "
    "setweight(to_tsvector('english', coalesce(summary_en, '') || ' ' || coalesce(body_en, '')), "
    "'D')"
)

document_sector = Table(
    "library_document_sector", Base.metadata,
    Column("document_id", ForeignKey("library_document.id", ondelete="CASCADE"),
           primary_key=True),
    Column("sector_code", ForeignKey("sector.code"), primary_key=True),
)
document_service_type = Table(
    "library_document_service_type", Base.metadata,
    Column("document_id", ForeignKey("library_document.id", ondelete="CASCADE"),
           primary_key=True),
    Column("service_type_code", ForeignKey("service_type.code"), primary_key=True),
)


class LibraryDocument(Timestamps, Base):
    """A law, decree, decision, circular, guideline or form; drafts are seen by admins only."""

    __tablename__ = "library_document"
    __table_args__ = (
        CheckConstraint(f"kind IN {DOC_KINDS}", name="kind"),
        CheckConstraint(f"status IN {DOC_STATUSES}", name="status"),
        CheckConstraint("(status = 'in_force') = (status_by_id IS NULL)", name="status_by"),
        CheckConstraint("status_by_id IS NULL OR status_by_id <> id", name="not_self"),
        Index("ix_library_document_tsv", "search_tsv", postgresql_using="gin"),
        Index("ix_library_document_title_trgm", "search_title", postgresql_using="gin",
              postgresql_ops={"search_title": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    number: Mapped[str] = mapped_column(String(40), default="", server_default="", index=True)
    issue_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    issuer_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    issuer_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    title_ar: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    summary_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    summary_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    body_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    body_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    topics: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list,
                                              server_default="{}")
    status: Mapped[str] = mapped_column(String(12), default="in_force",
                                        server_default="in_force")
    # The document that amended or repealed this one (NULL while in force).
    status_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("library_document.id", ondelete="RESTRICT"), index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    # Normalised search keys (textmatch.arabic.normalize + light stems), written by the use case.
    search_title: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_body: Mapped[str] = mapped_column(Text, default="", server_default="")
    search_tsv: Mapped[str] = mapped_column(TSVECTOR, Computed(_TSV, persisted=True))

    status_by: Mapped[LibraryDocument | None] = relationship(remote_side=[id])
    sectors: Mapped[list[Sector]] = relationship(secondary=document_sector)
    service_types: Mapped[list[ServiceType]] = relationship(secondary=document_service_type)
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="document", order_by="Attachment.id")

    def name(self, locale: str = "ar") -> str:
        return (self.title_en or self.title_ar) if locale == "en" else self.title_ar


class TopicFollow(Base):
    """A user following a library topic (a topic code or ``sector:<code>``)."""

    __tablename__ = "library_topic_follow"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    topic: Mapped[str] = mapped_column(String(60), primary_key=True)


class Attachment(Base):
    """A stored file (PDF, DOCX, PNG, JPEG) of a library document or a forum post."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("(document_id IS NULL) <> (post_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4, unique=True)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("library_document.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_post.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(Text)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())

    document: Mapped[LibraryDocument | None] = relationship(back_populates="attachments")
