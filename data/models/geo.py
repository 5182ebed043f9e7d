"""Administrative areas keyed by OCHA p-code (SY01 governorate, SY0204 district, SY020405 ...)."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

WEB_TOLERANCE_DEG = 0.02  # the web map's polygons (geo.maps.MAP_TOLERANCE_DEG), ~2 km


class AdminArea(Base):
    """A governorate (level 1), district (2), sub-district (3) or community (4)."""

    __tablename__ = "admin_area"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 4", name="level_range"),
        CheckConstraint("pcode ~ '^[A-Z]{2}[0-9A-Z]*$'", name="pcode_format"),
        Index("ix_admin_area_search_trgm", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
    )

    pcode: Mapped[str] = mapped_column(String(20), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    parent_pcode: Mapped[str | None] = mapped_column(
        ForeignKey("admin_area.pcode", ondelete="RESTRICT"), index=True)
    name_ar: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    aliases: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    # Normalised names and aliases (textmatch.arabic.normalize), for trigram search.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    population: Mapped[int | None] = mapped_column(BigInteger)
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=True), nullable=True)
    centroid: Mapped[WKBElement | None] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=True), nullable=True)
    # ``geom`` simplified for the web map (geo.maps.MAP_TOLERANCE_DEG), by PostgreSQL when the
    # boundary is written: the gap map does not simplify every polygon on each request.
    geom_web: Mapped[WKBElement | None] = mapped_column(
        Geometry("GEOMETRY", srid=4326, spatial_index=False),  # a part may become a Polygon
        Computed(f"ST_SimplifyPreserveTopology(geom, {WEB_TOLERANCE_DEG})", persisted=True))

    parent: Mapped[AdminArea | None] = relationship(remote_side=[pcode])

    def name(self, locale: str = "ar") -> str:
        """The name in ``locale`` (Arabic unless English is asked for)."""
        return self.name_en if locale == "en" else self.name_ar
