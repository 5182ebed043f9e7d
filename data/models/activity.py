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
from sqlalchemy.dialects.postgresql import JSONB
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
    # organisation and import batch: checked once per statement by triggers, deleting one
    # sets the column NULL (migration 0046_activity_owner_checks), as the keys did
    organization_id: Mapped[int | None] = mapped_column(Integer, index=True)
    implementing_org: Mapped[str] = mapped_column(Text, default="", server_default="")
    # sector, service type and place name reference data: checked once per statement by
    # triggers instead of foreign keys (migration 0045_activity_reference_checks)
    sector_code: Mapped[str | None] = mapped_column(String(40), index=True)
    service_type_code: Mapped[str | None] = mapped_column(String(60), index=True)
    activity_code: Mapped[str] = mapped_column(Text, default="", server_default="")
    activity_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The most precise admin area known (sub-district when possible).
    pcode: Mapped[str | None] = mapped_column(String(20))
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
    # The import that wrote the row (0022_import_batches); NULL for rows made otherwise.
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)


class ImportBatch(Base):
    """One import of one source (file name + sheet): where it came from, how it was read,
    who ran it and what it wrote; a later import of the same source replaces its rows."""

    __tablename__ = "import_batch"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'replaced', 'rolled_back')", name="status"),
        Index("ix_import_batch_source", "source", "sheet"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    sheet: Mapped[str] = mapped_column(Text, default="", server_default="")
    checksum: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    period: Mapped[str] = mapped_column(String(7), default="", server_default="")
    imported_by: Mapped[str] = mapped_column(Text, default="", server_default="")
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                                     server_default=func.now())
    rows: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    people: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active")
    replaced_by: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    # (service id, p-code) pairs of service coverage this import created, so a rollback or
    # a replacement can take back what no remaining row supports.
    coverage: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    # ids of the services this import created, taken back with it when nothing else refers
    # to them
    services: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    # ids of the organisations it created (pending), taken back the same way
    organizations: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")


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
    pcode: Mapped[str | None] = mapped_column(String(20))
    target_groups: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list,
                                                     server_default="{}")
    age: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str | None] = mapped_column(String(10))
