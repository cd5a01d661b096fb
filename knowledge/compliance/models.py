"""Tables of the compliance feature: dossier records, officials and their invites, apology letters.

Dossier times are naive local times (UTC+7), as one-stop systems export them; the times of officials,
invites and apology letters are naive UTC, so that comparisons behave alike on SQLite and PostgreSQL.
Everything a figure needs from the working-time calendar is computed once at import and stored
(``effective_due_at``, ``timeliness``, ``late_hours``, ``accept_hours``, ``processing_hours``) so
that figures are plain SQL aggregates that give the same answer on SQLite and PostgreSQL.

A dossier belongs to the period of its reception (``received_day``: the day of ``accepted_at``, or of
``submitted_at`` for a dossier never accepted), as the portal's reports count it.

``tier1_id``/``tier2_id``/``tier3_id`` are the dossier unit's ancestors-or-self at depth 1 (province),
2 (district before 2025, commune after) and 3 (commune before 2025): a report on a unit at depth d
filters on ``tier{d}_id`` and groups its children by ``tier{d+1}_id``.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from knowledge.models import Base, Unit


def utcnow_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Channel(enum.IntEnum):
    """``KenhThucHien`` of the national sync."""

    DIRECT = 1  # trực tiếp
    ONLINE = 2  # trực tuyến
    POST = 3  # bưu chính công ích


class OnlineLevel(enum.StrEnum):
    """Level of the online public service a dossier was filed under (NĐ 42/2022 Art. 11)."""

    FULL = "toan_trinh"  # ≈ former level 4
    PARTIAL = "mot_phan"  # ≈ former level 3


class Status(enum.IntEnum):
    """``TrangThaiHoSo`` of the national sync."""

    SUBMITTED = 1  # mới đăng ký, chờ tiếp nhận
    ACCEPTED = 2  # được tiếp nhận
    REFUSED = 3  # không được tiếp nhận
    IN_PROGRESS = 4  # đang xử lý
    SUPPLEMENT = 5  # yêu cầu bổ sung giấy tờ
    FINANCIAL = 6  # yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # công dân yêu cầu rút hồ sơ
    STOPPED = 8  # dừng xử lý
    DONE = 9  # đã xử lý xong
    RETURNED = 10  # đã trả kết quả


NOT_RECEIVED = (Status.SUBMITTED, Status.REFUSED)
ENDED = (Status.WITHDRAWN, Status.STOPPED, Status.DONE, Status.RETURNED)
# Ended by the applicant's withdrawal or a stop: an export often gives them no end time, and they are
# neither in progress nor overdue all the same.
CLOSED_EARLY = (Status.WITHDRAWN, Status.STOPPED)


class Timeliness(enum.IntEnum):
    """How a dossier that ended stands against its appointment (supplement waiting excluded)."""

    EARLY = 1  # ended before the appointment date
    ON_TIME = 2  # ended on the appointment date, no later than the appointment time
    LATE = 3  # ended after the appointment, or was asked for supplements more than once


class Dossier(Base):
    """One dossier (hồ sơ) as exported by a one-stop system, plus what the calendar says of it."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    tier1_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    tier2_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    tier3_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    channel: Mapped[int] = mapped_column(SmallInteger)  # Channel
    online_level: Mapped[str | None] = mapped_column(String(16))  # OnlineLevel; None: no online service
    status: Mapped[int] = mapped_column(SmallInteger)  # Status
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    received_day: Mapped[date] = mapped_column(Date)  # day of acceptance (else submission): its period
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    returned_at: Mapped[datetime | None] = mapped_column(DateTime)
    supplement_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    supplement_hours: Mapped[float] = mapped_column(Float, default=0.0)  # working hours waited
    fee_bearing: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_online: Mapped[bool] = mapped_column(Boolean, default=False)
    digitised: Mapped[bool] = mapped_column(Boolean, default=False)
    e_result: Mapped[bool] = mapped_column(Boolean, default=False)
    reused: Mapped[bool] = mapped_column(Boolean, default=False)
    apology: Mapped[bool] = mapped_column(Boolean, default=False)
    applicant: Mapped[str | None] = mapped_column(String(255))  # chủ hồ sơ, as the export records it
    # Optional fields the export did not give (bits of knowledge.compliance.gaps.OPTIONAL); 0: all known.
    unknown: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # Computed at import from the working-time calendar:
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)  # end of processing, None while open
    effective_due_at: Mapped[datetime | None] = mapped_column(DateTime)  # due + supplement waiting
    timeliness: Mapped[int | None] = mapped_column(SmallInteger)  # Timeliness, None while open
    late_hours: Mapped[float | None] = mapped_column(Float)  # working hours past due, when late
    accept_hours: Mapped[float | None] = mapped_column(Float)  # working hours submission → acceptance
    processing_hours: Mapped[float | None] = mapped_column(Float)  # acceptance → end, waiting excluded
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow_naive)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])


# Few indexes on purpose: every one slows the import of a million rows, and reports read the summary.
Index("ix_dossiers_unit_day", Dossier.unit_id, Dossier.received_day)  # the summary's refresh
# The dossiers still open (a few percent): the only ones whose figures depend on the time of asking.
Index(
    "ix_dossiers_open",
    Dossier.received_day,
    sqlite_where=Dossier.ended_at.is_(None),
    postgresql_where=Dossier.ended_at.is_(None),
)

# The few dossiers whose export lacked a field: figures read them to say "không có dữ liệu".
Index(
    "ix_dossiers_unknown",
    Dossier.received_day,
    sqlite_where=Dossier.unknown != 0,
    postgresql_where=Dossier.unknown != 0,
)


class DossierSummary(Base):
    """Per unit, day of reception and procedure: the counts of every figure that does not depend on
    the time of asking, refreshed from ``dossiers`` by SQL after each import. Reports sum these rows
    (a province's quarter is a few hundred thousand rows at most instead of millions of dossiers)."""

    __tablename__ = "dossier_daily"
    __table_args__ = (PrimaryKeyConstraint("unit_id", "day", "procedure_code"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    procedure_code: Mapped[str] = mapped_column(String(32))
    tier1_id: Mapped[int] = mapped_column(Integer)
    tier2_id: Mapped[int | None] = mapped_column(Integer)
    tier3_id: Mapped[int | None] = mapped_column(Integer)
    received: Mapped[int] = mapped_column(Integer)
    in_progress: Mapped[int] = mapped_column(Integer)
    finished: Mapped[int] = mapped_column(Integer)
    early: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    online: Mapped[int] = mapped_column(Integer)
    online_full: Mapped[int] = mapped_column(Integer)
    online_partial: Mapped[int] = mapped_column(Integer)
    offers_online: Mapped[int] = mapped_column(Integer)
    fee_bearing: Mapped[int] = mapped_column(Integer)
    paid_online: Mapped[int] = mapped_column(Integer)
    digitised: Mapped[int] = mapped_column(Integer)
    e_result: Mapped[int] = mapped_column(Integer)
    reused: Mapped[int] = mapped_column(Integer)
    supplement_twice: Mapped[int] = mapped_column(Integer)
    slow_acceptance: Mapped[int] = mapped_column(Integer)  # online, accepted after 6 working hours
    late_unapologised: Mapped[int] = mapped_column(Integer)  # ended past due, no apology letter
    processed: Mapped[int] = mapped_column(Integer)
    processing_hours: Mapped[float] = mapped_column(Float)


Index("ix_dossier_daily_tier1", DossierSummary.tier1_id, DossierSummary.day)
Index("ix_dossier_daily_tier2", DossierSummary.tier2_id, DossierSummary.day)
Index("ix_dossier_daily_tier3", DossierSummary.tier3_id, DossierSummary.day)


class AgencyUnit(Base):
    """An agency code or name as exports write it (MaCoQuan, DonViXuLy…), mapped to a unit by an admin.

    ``key`` is the folded text (``knowledge.compliance.profile.fold_header``), so "UBND xã Cát Vân"
    and "ubnd xa cat van" are one entry."""

    __tablename__ = "agency_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    agency: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow_naive)

    unit: Mapped[Unit] = relationship()


class Official(Base):
    """A Telegram user bound to a unit as its official: sees that unit and its descendants."""

    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    granted_by: Mapped[int | None] = mapped_column(BigInteger)
    granted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow_naive)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)  # the morning digest (/nhacviec)
    digest_sent_on: Mapped[date | None] = mapped_column(Date)  # claimed by the sender, once a day

    unit: Mapped[Unit] = relationship()

    __table_args__ = (Index("uq_officials_user_unit", "telegram_id", "unit_id", unique=True),)


class Invite(Base):
    """A one-time, expiring token an admin hands out; consuming it makes the user an official.

    Only the token's SHA-256 is kept: the database holds no usable invite.
    """

    __tablename__ = "official_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow_naive)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_by: Mapped[int | None] = mapped_column(BigInteger)

    unit: Mapped[Unit] = relationship()


class ApologyLetter(Base):
    """An apology letter issued for a late dossier, with the new return date it promised (the rules
    allow one such re-scheduling). Keyed by dossier code, so a re-import of the dossier keeps it."""

    __tablename__ = "apology_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    new_due: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow_naive)
    issued_by: Mapped[str] = mapped_column(String(64))  # "telegram:<id>", "cli"…
