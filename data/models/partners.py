"""Partnerships between organisations: a request from one organisation's admin, answered by the
other's; an accepted request becomes a partnership (one active partnership per pair)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .base import Base, Timestamps
from .geo import AdminArea
from .org import Organization
from .taxonomy import Sector, ServiceType

REQUEST_STATES = ("pending", "accepted", "declined", "withdrawn")
PARTNERSHIP_STATES = ("active", "ended")


def _request_checks() -> tuple[CheckConstraint, ...]:
    """The checks every request between two organisations keeps (its table's own names)."""
    return (
        CheckConstraint(f"status IN {REQUEST_STATES}", name="status"),
        CheckConstraint("requester_org_id <> target_org_id", name="distinct_orgs"),
        CheckConstraint("(status = 'pending') = (responded_at IS NULL)", name="responded"),
    )


class OrgRequest(Timestamps):
    """What a request from one organisation's admin to another organisation holds, whatever
    it asks: who asked whom, who answered, its state, message and answer (a mixin)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    target_org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    responded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="pending",
                                        server_default="pending")
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    response_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr
    def requester_org(cls) -> Mapped[Organization]:
        return relationship(foreign_keys=[cls.requester_org_id])

    @declared_attr
    def target_org(cls) -> Mapped[Organization]:
        return relationship(foreign_keys=[cls.target_org_id])


class PartnershipRequest(OrgRequest, Base):
    """A request to partner, from ``requester_org`` to ``target_org``; one pending per pair."""

    __tablename__ = "partnership_request"
    __table_args__ = (
        *_request_checks(),
        Index("uq_partnership_request_pending_pair",
              func.least(text("requester_org_id"), text("target_org_id")),
              func.greatest(text("requester_org_id"), text("target_org_id")),
              unique=True, postgresql_where=text("status = 'pending'")),
    )


class Partnership(Base):
    """Two organisations working together; ``org_low_id < org_high_id`` keeps the pair unique."""

    __tablename__ = "partnership"
    __table_args__ = (
        CheckConstraint(f"status IN {PARTNERSHIP_STATES}", name="status"),
        CheckConstraint("org_low_id < org_high_id", name="ordered_pair"),
        CheckConstraint("(status = 'ended') = (ended_at IS NOT NULL)", name="ended"),
        Index("uq_partnership_active_pair", "org_low_id", "org_high_id", unique=True,
              postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_low_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    org_high_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("partnership_request.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True),
                                               server_default=func.now())
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))

    org_low: Mapped[Organization] = relationship(foreign_keys=[org_low_id])
    org_high: Mapped[Organization] = relationship(foreign_keys=[org_high_id])

    def other(self, org_id: int) -> Organization:
        """The partner of ``org_id`` in this partnership."""
        return self.org_high if org_id == self.org_low_id else self.org_low


class PathwayRequest(OrgRequest, Base):
    """A request from ``requester_org`` that ``target_org`` set up a referral pathway for a
    sector (or one service type) in an area: the way the requester's caseworkers will refer
    people there. One pending per requester, target, scope and area."""

    __tablename__ = "pathway_request"
    __table_args__ = (
        *_request_checks(),
        CheckConstraint("num_nonnulls(sector_code, service_type_code) = 1", name="one_scope"),
        Index("uq_pathway_request_pending", "requester_org_id", "target_org_id",
              func.coalesce(text("sector_code"), text("''")),
              func.coalesce(text("service_type_code"), text("''")), "pcode",
              unique=True, postgresql_where=text("status = 'pending'")),
    )

    sector_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"))
    service_type_code: Mapped[str | None] = mapped_column(ForeignKey("service_type.code"))
    pcode: Mapped[str] = mapped_column(ForeignKey("admin_area.pcode"))

    area: Mapped[AdminArea] = relationship()
    sector: Mapped[Sector | None] = relationship()
    service_type: Mapped[ServiceType | None] = relationship()

    def scope(self, locale: str = "ar") -> str:
        """The sector's or the service type's name in ``locale``."""
        thing = self.sector or self.service_type
        return thing.name(locale) if thing is not None else ""
