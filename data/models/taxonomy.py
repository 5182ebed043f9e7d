"""The bilingual service taxonomy (sectors, service types) and target groups."""

from __future__ import annotations

from sqlalchemy import ARRAY, Boolean, ForeignKey, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Sector(Base):
    """A humanitarian cluster or sub-sector (protection, GBV, health, food security, ...)."""

    __tablename__ = "sector"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"))
    name_ar: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    sort: Mapped[int] = mapped_column(SmallInteger, default=0)

    def name(self, locale: str = "ar") -> str:
        return self.name_en if locale == "en" else self.name_ar


class ServiceType(Base):
    """A kind of service, with the 4W activity codes that report it (e.g. GBV101, CP2)."""

    __tablename__ = "service_type"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    sector_code: Mapped[str] = mapped_column(ForeignKey("sector.code"), index=True)
    name_ar: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    keywords_ar: Mapped[str] = mapped_column(Text, default="", server_default="")
    keywords_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    activity_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list,
                                                      server_default="{}")
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")

    sector: Mapped[Sector] = relationship()

    def name(self, locale: str = "ar") -> str:
        return self.name_en if locale == "en" else self.name_ar


class TargetGroup(Base):
    """A group of people services are meant for (children, women, IDPs, ...)."""

    __tablename__ = "target_group"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_ar: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    sort: Mapped[int] = mapped_column(SmallInteger, default=0)

    def name(self, locale: str = "ar") -> str:
        return self.name_en if locale == "en" else self.name_ar
