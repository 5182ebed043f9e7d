"""The organisations' forum: categories, threads, posts, mentions, follows and reports."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base
from .library import Attachment
from .org import Organization

CATEGORY_KINDS = ("sector", "governorate", "partnership", "experience", "announcements")


class ForumCategory(Base):
    """A place for threads: one per sector, per governorate, and three topical ones."""

    __tablename__ = "forum_category"
    __table_args__ = (CheckConstraint(f"kind IN {CATEGORY_KINDS}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    sector_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"))
    pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_area.pcode"))
    name_ar: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    description_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    sort: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # Announcements: only platform admins start threads there.
    admin_only: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")

    def name(self, locale: str = "ar") -> str:
        return self.name_en if locale == "en" else self.name_ar


class ForumThread(Base):
    """A discussion; its first post carries the opening text."""

    __tablename__ = "forum_thread"
    __table_args__ = (Index("ix_forum_thread_category_last", "category_id", "last_post_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("forum_category.id"))
    title: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    # What the discussion is about (from "start a discussion about this").
    pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_area.pcode"))
    sector_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"))
    link: Mapped[str] = mapped_column(Text, default="", server_default="")
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    reply_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    last_post_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())

    category: Mapped[ForumCategory] = relationship()
    author: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    posts: Mapped[list[ForumPost]] = relationship(back_populates="thread",
                                                  order_by="ForumPost.id")


class ForumPost(Base):
    """A post: Markdown source and its sanitised HTML (rendered once, on write)."""

    __tablename__ = "forum_post"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_thread.id", ondelete="CASCADE"),
                                           index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    hidden_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())

    thread: Mapped[ForumThread] = relationship(back_populates="posts")
    author: Mapped[User | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")


class ForumMention(Base):
    """An organisation mentioned (@ACRONYM) in a post."""

    __tablename__ = "forum_mention"

    post_id: Mapped[int] = mapped_column(ForeignKey("forum_post.id", ondelete="CASCADE"),
                                         primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True, index=True)


class ForumFollow(Base):
    """A user following a thread or a whole category."""

    __tablename__ = "forum_follow"
    __table_args__ = (
        CheckConstraint("(thread_id IS NULL) <> (category_id IS NULL)", name="one_target"),
        Index("uq_forum_follow", "user_id", "thread_id", "category_id", unique=True,
              postgresql_nulls_not_distinct=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_thread.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("forum_category.id", ondelete="CASCADE"), index=True)


class ForumReport(Base):
    """A member's report of a post; a platform admin resolves it (hide or dismiss)."""

    __tablename__ = "forum_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("forum_post.id", ondelete="CASCADE"),
                                         index=True)
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                    server_default=func.now())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    resolution: Mapped[str] = mapped_column(String(20), default="", server_default="")

    post: Mapped[ForumPost] = relationship()
