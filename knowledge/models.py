"""The domain model: procedures, administrative units, applicability, catalogue versions, chat users,
the everyday names admins add.

Lists that are always read and written with their procedure (channels, documents, legal basis…)
are JSON columns: they are never queried on their own, and JSON keeps SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Level(enum.StrEnum):
    """Implementing level of a procedure (cấp thực hiện)."""

    MINISTRY = "bo"
    PROVINCE = "tinh"
    DISTRICT = "huyen"  # three-tier era only
    COMMUNE = "xa"


class Era(enum.StrEnum):
    THREE_TIER = "2008"  # province / district / commune, until 30 June 2025
    TWO_TIER = "2025"  # province / commune, since 1 July 2025


class UnitKind(enum.StrEnum):
    PROVINCE = "province"  # tỉnh
    CITY = "city"  # thành phố trực thuộc trung ương
    DISTRICT = "district"  # huyện, quận, thị xã, thành phố thuộc tỉnh
    COMMUNE = "commune"  # xã
    WARD = "ward"  # phường
    TOWNSHIP = "township"  # thị trấn
    SPECIAL_ZONE = "special_zone"  # đặc khu


PROVINCIAL_KINDS = (UnitKind.PROVINCE, UnitKind.CITY)
COMMUNAL_KINDS = (UnitKind.COMMUNE, UnitKind.WARD, UnitKind.TOWNSHIP, UnitKind.SPECIAL_ZONE)


class ProcedureStatus(enum.StrEnum):
    IN_FORCE = "in_force"
    ABOLISHED = "abolished"


class Procedure(Base):
    """One administrative procedure (thủ tục hành chính) as published in the national catalogue."""

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    name: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(255), index=True)
    levels: Mapped[list[Any]] = mapped_column(default=list)  # list[Level]
    type: Mapped[str | None] = mapped_column(String(255))
    implementing_agency: Mapped[str | None] = mapped_column(Text)
    competent_agency: Mapped[str | None] = mapped_column(Text)
    ministry: Mapped[str | None] = mapped_column(String(255))
    decision: Mapped[str | None] = mapped_column(String(255))
    audiences: Mapped[list[Any]] = mapped_column(default=list)  # list[str]
    # [{"channel": "truc_tiep"|"truc_tuyen"|"buu_chinh", "time": str|None, "days": float|None,
    #   "fee": str|None, "fee_vnd": int|None, "note": str|None}]
    channels: Mapped[list[Any]] = mapped_column(default=list)
    online_level: Mapped[str | None] = mapped_column(String(16))  # "toan_trinh" | "mot_phan"
    documents: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "quantity", "form"}]
    steps: Mapped[list[Any]] = mapped_column(default=list)  # list[str]
    legal_basis: Mapped[list[Any]] = mapped_column(default=list)  # [{"title", "number"}]
    conditions: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    receiving_address: Mapped[str | None] = mapped_column(Text)
    related: Mapped[list[Any]] = mapped_column(default=list)  # list of procedure codes
    keywords: Mapped[list[Any]] = mapped_column(default=list)  # list[str]
    portal_url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ProcedureStatus.IN_FORCE)
    abolished_by: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(64))
    source_date: Mapped[date | None] = mapped_column(Date)
    publisher: Mapped[str | None] = mapped_column(String(255))
    portal_type: Mapped[str | None] = mapped_column(String(16))  # "standard" | "specific"
    province: Mapped[str | None] = mapped_column(String(8), index=True)  # specific: the province's code
    executing_agencies: Mapped[list[Any]] = mapped_column(default=list)  # list[str]
    on_portal_list: Mapped[bool | None] = mapped_column(Boolean)
    details: Mapped[str] = mapped_column(String(16), default="full")  # "full" | "summary"
    sources: Mapped[dict[str, Any]] = mapped_column(default=dict)  # field -> source id
    flags: Mapped[list[Any]] = mapped_column(default=list)  # list[str]
    notes: Mapped[list[Any]] = mapped_column(default=list)  # list[str]

    @property
    def in_force(self) -> bool:
        return self.status == ProcedureStatus.IN_FORCE

    def __repr__(self) -> str:
        return f"Procedure({self.code!r}, {self.name!r})"


class Unit(Base):
    """An administrative unit of one era. Codes are reused across eras, so (era, code) is the key."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("era", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    era: Mapped[str] = mapped_column(String(8))  # Era
    code: Mapped[str] = mapped_column(String(8), index=True)
    name: Mapped[str] = mapped_column(String(255))  # full name: "Xã Cát Vân"
    kind: Mapped[str] = mapped_column(String(16))  # UnitKind
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)  # e.g. ["border"], from data files

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")
    successions: Mapped[list[UnitSuccession]] = relationship(
        foreign_keys="UnitSuccession.old_unit_id", back_populates="old_unit"
    )

    @property
    def is_current(self) -> bool:
        return self.era == Era.TWO_TIER

    def __repr__(self) -> str:
        return f"Unit({self.era}:{self.code} {self.name!r})"


class UnitSuccession(Base):
    """An old (three-tier) unit that went, fully or partly, into a 2025 unit."""

    __tablename__ = "unit_successions"
    __table_args__ = (UniqueConstraint("old_unit_id", "new_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    old_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    new_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    full: Mapped[bool] = mapped_column(Boolean, default=True)

    old_unit: Mapped[Unit] = relationship(foreign_keys=[old_unit_id], back_populates="successions")
    new_unit: Mapped[Unit] = relationship(foreign_keys=[new_unit_id])


class OneStopOffice(Base):
    """Contact details of a unit's one-stop office (bộ phận một cửa); only from a data file."""

    __tablename__ = "one_stop_offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    hours: Mapped[str | None] = mapped_column(Text)
    staff_on_duty: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone_verified: Mapped[bool | None] = mapped_column(Boolean)  # False: shown with a note to check it
    source: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()


class ApplicabilityOverride(Base):
    """A per-unit exception to the applicability rules: add or remove one procedure."""

    __tablename__ = "applicability_overrides"
    __table_args__ = (UniqueConstraint("unit_id", "procedure_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    procedure_code: Mapped[str] = mapped_column(String(32))
    handles: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)


class CatalogueVersion(Base):
    """Every catalogue ever loaded; exactly one row is current. The payload allows a rollback."""

    __tablename__ = "catalogue_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    checksum: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    procedure_count: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    loaded_by: Mapped[str | None] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    payload: Mapped[bytes | None] = mapped_column()  # gzip'd catalogue JSON


class ChatUser(Base):
    """A Telegram user's state, kept in the database so that a restart loses nothing."""

    __tablename__ = "chat_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    last_results: Mapped[list[Any]] = mapped_column(default=list)  # codes last shown: a card, a list
    pending: Mapped[dict[str, Any]] = mapped_column(default=dict)  # e.g. awaiting a commune name
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship()


class EverydayPhrase(Base):
    """An everyday name of a procedure an admin added (knowledge.everyday.add_phrase), indexed with
    the bundled ones of ``knowledge/data/everyday.json``. The code is not a foreign key: a phrase
    outlives a reload that drops its procedure, and is indexed again if the procedure comes back."""

    __tablename__ = "everyday_phrases"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(32), index=True)
    phrase: Mapped[str] = mapped_column(String(200))  # NFC, single spaces
    added_by: Mapped[int | None] = mapped_column(BigInteger)  # a Telegram user id; None: the command line
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


Index("ix_units_parent_kind", Unit.parent_id, Unit.kind)
