"""Service offerings: who offers what, to whom, where, when, with what capacity."""

from __future__ import annotations

import datetime as dt
import uuid

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, Timestamps
from .geo import AdminArea
from .org import Organization
from .taxonomy import ServiceType, TargetGroup

SEXES = ("any", "female", "male")
AVAILABILITY = ("open", "waitlist", "full")
MODALITIES = ("static", "mobile", "remote")
COSTS = ("free", "subsidised", "paid")
REFERRAL_METHODS = ("platform", "form", "email", "phone", "walk_in", "focal_point", "none")
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
FRONT_GATES = ("meeting_point", "subdistrict")  # what a confidential site shows instead
# How often an organisation reviews a listing (days): monthly, quarterly, half-yearly, yearly.
REVIEW_CADENCES = (30, 90, 180, 365)

service_target_group = Table(
    "service_target_group",
    Base.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("target_group_code", ForeignKey("target_group.code"), primary_key=True, index=True),
)

service_coverage = Table(
    "service_coverage",
    Base.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("pcode", ForeignKey("admin_area.pcode"), primary_key=True, index=True),
)


class Service(Timestamps, Base):
    """One offering of an organisation: a service type with eligibility, coverage and capacity."""

    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint("min_age IS NULL OR min_age BETWEEN 0 AND 120", name="min_age"),
        CheckConstraint("max_age IS NULL OR max_age BETWEEN 0 AND 120", name="max_age"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age",
                        name="age_order"),
        CheckConstraint(f"sex IN {SEXES}", name="sex"),
        CheckConstraint(f"availability IN {AVAILABILITY}", name="availability"),
        CheckConstraint(f"modality IN {MODALITIES}", name="modality"),
        CheckConstraint(f"cost IN {COSTS}", name="cost"),
        CheckConstraint(f"referral_method IN {REFERRAL_METHODS}", name="referral_method"),
        CheckConstraint(f"status IN {STATUSES}", name="status"),
        CheckConstraint("capacity_per_month IS NULL OR capacity_per_month >= 0",
                        name="capacity"),
        CheckConstraint("response_days > 0", name="response_days"),
        CheckConstraint(f"review_every_days IN {REVIEW_CADENCES}", name="review_every_days"),
        Index("ix_service_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
        Index("ix_service_search_fts", text("to_tsvector('simple', search_text)"),
              postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid.uuid4, unique=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    service_type_code: Mapped[str] = mapped_column(ForeignKey("service_type.code"), index=True)
    name_ar: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    description_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    min_age: Mapped[int | None] = mapped_column(SmallInteger)
    max_age: Mapped[int | None] = mapped_column(SmallInteger)
    sex: Mapped[str] = mapped_column(String(10), default="any", server_default="any")
    documents_required: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default="{}")
    nationalities: Mapped[list[str]] = mapped_column(
        ARRAY(Text), default=list, server_default="{}")  # empty: any nationality
    capacity_per_month: Mapped[int | None] = mapped_column(Integer)
    availability: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    languages: Mapped[list[str]] = mapped_column(
        ARRAY(String(8)), default=lambda: ["ar"], server_default="{ar}")
    modality: Mapped[str] = mapped_column(String(10), default="static", server_default="static")
    cost: Mapped[str] = mapped_column(String(12), default="free", server_default="free")
    cost_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    referral_method: Mapped[str] = mapped_column(
        String(12), default="platform", server_default="platform")
    referral_contact: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The pathway a caseworker explains to the person (issue 22): what to bring, what next.
    what_to_bring_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    what_to_bring_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_step_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_step_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    response_days: Mapped[int] = mapped_column(SmallInteger, default=5, server_default="5")
    last_verified: Mapped[dt.date | None] = mapped_column(Date, index=True)
    # Freshness (issue 22): the declared review cadence, and a review asked for by the loop
    # (a decline "not offered any more", a report) until the organisation answers.
    review_every_days: Mapped[int] = mapped_column(SmallInteger, default=180,
                                                   server_default="180")
    review_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    review_request_reason: Mapped[str | None] = mapped_column(String(40))
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    organization: Mapped[Organization] = relationship(back_populates="services")
    service_type: Mapped[ServiceType] = relationship()
    target_groups: Mapped[list[TargetGroup]] = relationship(secondary=service_target_group)
    coverage: Mapped[list[AdminArea]] = relationship(secondary=service_coverage)
    sites: Mapped[list[ServiceSite]] = relationship(
        back_populates="service", cascade="all, delete-orphan")
    hours: Mapped[list[OpeningPeriod]] = relationship(
        back_populates="service", cascade="all, delete-orphan",
        order_by="(OpeningPeriod.weekday, OpeningPeriod.opens)")

    def name(self, locale: str = "ar") -> str:
        return self.name_en if locale == "en" else self.name_ar


class ServiceSite(Base):
    """A place where a service is delivered, resolved to the sub-district containing it.

    A *confidential* site (a shelter, a safe space) keeps its exact point and address only
    sealed in ``exact_enc`` (JSON, encrypted with the data keys); ``geom`` and the address
    columns then hold its *front gate* (a meeting point, or the sub-district's centre), so
    every search, map, export and API reading them shows the gate and never the place.
    """

    __tablename__ = "service_site"
    __table_args__ = (
        CheckConstraint(f"front_gate IS NULL OR front_gate IN {FRONT_GATES}",
                        name="front_gate"),
        CheckConstraint("NOT confidential OR (front_gate IS NOT NULL AND exact_enc IS NOT NULL)",
                        name="confidential_gate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    name_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    name_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    address_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    address_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    admin3_pcode: Mapped[str | None] = mapped_column(
        ForeignKey("admin_area.pcode"), index=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    front_gate: Mapped[str | None] = mapped_column(String(20))
    exact_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    service: Mapped[Service] = relationship(back_populates="sites")


class OpeningPeriod(Base):
    """One opening period of a service on a weekday (several a day are allowed).

    ``weekday`` is ISO: 1 Monday ... 5 Friday, 6 Saturday, 7 Sunday.
    """

    __tablename__ = "opening_period"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 1 AND 7", name="weekday"),
        CheckConstraint("opens < closes", name="order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[dt.time] = mapped_column(Time)
    closes: Mapped[dt.time] = mapped_column(Time)

    service: Mapped[Service] = relationship(back_populates="hours")
