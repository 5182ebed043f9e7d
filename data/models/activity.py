"""What is done and what is needed: 4W activity rows, people in need, unmet searches."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

AGE_SEX_COLUMNS = ("reached_f_children", "reached_m_children", "reached_f_adults",
                   "reached_m_adults", "reached_f_elderly", "reached_m_elderly")


class Activity(Base):
    """One 4W row: who did what, where, when, how many people reached (by sex and age)."""

    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint("reached_total IS NULL OR reached_total >= 0", name="reached"),
        Index("ix_activity_area_period", "pcode", "period_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="SET NULL"), index=True)
    implementing_org: Mapped[str] = mapped_column(Text, default="", server_default="")
    sector_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"), index=True)
    service_type_code: Mapped[str | None] = mapped_column(
        ForeignKey("service_type.code"), index=True)
    activity_code: Mapped[str] = mapped_column(Text, default="", server_default="")
    activity_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The most precise admin area known (sub-district when possible).
    pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_area.pcode"), index=True)
    community_pcode: Mapped[str | None] = mapped_column(String(20))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(40), default="people", server_default="people")
    # People reached: NULL when the row's unit is not people (sessions, leaflets, ...).
    reached_total: Mapped[int | None] = mapped_column(Integer)
    reached_f_children: Mapped[int | None] = mapped_column(Integer)
    reached_m_children: Mapped[int | None] = mapped_column(Integer)
    reached_f_adults: Mapped[int | None] = mapped_column(Integer)
    reached_m_adults: Mapped[int | None] = mapped_column(Integer)
    reached_f_elderly: Mapped[int | None] = mapped_column(Integer)
    reached_m_elderly: Mapped[int | None] = mapped_column(Integer)
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list,
                                                     server_default="{}")
    # The row's value in its own unit (sessions, leaflets, ...; people for people rows).
    quantity: Mapped[float | None] = mapped_column(Float)  # added by 0007_import
    source_file: Mapped[str] = mapped_column(Text, default="", server_default="")
    source_row: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)


class Need(Base):
    """People in need and severity by area x sector (x target group) x period (HNO)."""

    __tablename__ = "need"
    __table_args__ = (
        CheckConstraint("people_in_need IS NULL OR people_in_need >= 0", name="pin"),
        CheckConstraint("severity IS NULL OR severity BETWEEN 0 AND 6", name="severity"),
        Index("uq_need_key", "pcode", "sector_code", "target_group_code", "period",
              unique=True, postgresql_nulls_not_distinct=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pcode: Mapped[str] = mapped_column(ForeignKey("admin_area.pcode"), index=True)
    # NULL sector: the inter-sector figure.
    sector_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"), index=True)
    target_group_code: Mapped[str | None] = mapped_column(ForeignKey("target_group.code"))
    period: Mapped[str] = mapped_column(String(10))
    people_in_need: Mapped[float | None] = mapped_column(Float)
    severity: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text, default="", server_default="")


class UnmetSearch(Base):
    """A provider search that found nothing, recorded anonymously as an unmet-need signal."""

    __tablename__ = "unmet_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                            index=True)
    service_type_code: Mapped[str | None] = mapped_column(ForeignKey("service_type.code"))
    sector_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"))
    pcode: Mapped[str | None] = mapped_column(ForeignKey("admin_area.pcode"), index=True)
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list,
                                                     server_default="{}")
    age: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str | None] = mapped_column(String(10))
