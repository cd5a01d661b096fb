"""Importing dossier records from one-stop exports (CSV or XLSX) through a column profile.

The import is one transaction in the caller's session: rows are read, checked and upserted by
dossier code in batches (``INSERT … ON CONFLICT (code) DO UPDATE``), so a newer export of the same
dossiers updates them. A row that cannot be used is reported with its row number (as a spreadsheet
numbers it: the header is row 1) and the reason; the other rows are kept.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from knowledge.compliance.clock import Calendar, WorkingClock, default_calendar
from knowledge.compliance.models import (
    CLOSED_EARLY,
    ENDED,
    Channel,
    Dossier,
    Status,
    Timeliness,
    utcnow_naive,
)
from knowledge.compliance.profile import FIELDS, REQUIRED, Profile, ValueProblem, load_profile
from knowledge.compliance.summary import refresh
from knowledge.models import Era, Unit

BATCH = 5000
TWO_TIER_SINCE = date(2025, 7, 1)
# Statuses of a received dossier that must carry an appointment (hẹn trả) to be judged on time.
NEEDS_DUE = frozenset(Status) - {Status.SUBMITTED, Status.REFUSED, Status.WITHDRAWN}


class DossierFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, or a required column is missing)."""


@dataclass(slots=True)
class DossierRecord:
    """One dossier in the canonical vocabulary (see ``knowledge.compliance.profile``)."""

    code: str
    procedure_code: str
    unit_code: str
    channel: int
    status: int
    submitted_at: datetime
    online_level: str | None = None
    accepted_at: datetime | None = None
    due_at: datetime | None = None
    finished_at: datetime | None = None
    returned_at: datetime | None = None
    supplement_count: int = 0
    supplement_hours: float = 0.0
    fee_bearing: bool = False
    paid_online: bool = False
    digitised: bool = False
    e_result: bool = False
    reused: bool = False
    apology: bool = False
    applicant: str | None = None


_STORED = tuple(f.name for f in fields(DossierRecord) if f.name != "unit_code")


@dataclass(frozen=True)
class RowError:
    row: int
    code: str | None
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def write_errors(self, path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "code", "reason"])
            for error in self.errors:
                writer.writerow([error.row, error.code or "", error.reason])


def read_rows(path: Path) -> Iterator[Sequence[Any]]:
    """The rows of a CSV (UTF-8, optional BOM) or of the first sheet of an XLSX, header first."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            yield from sheet.iter_rows(values_only=True)
        finally:
            workbook.close()
        return
    if suffix != ".csv":
        raise DossierFileError(f"Chỉ nhận tệp .csv hoặc .xlsx: {path.name}")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield from csv.reader(handle)


Numbered = tuple[int, "DossierRecord | RowError"]


def parse_rows(rows: Iterable[Sequence[Any]], profile: Profile) -> Iterator[Numbered]:
    """Turn raw rows into records (or row errors), numbered as in the file (header = 1)."""
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise DossierFileError("Tệp trống")
    names = [str(h).strip() if h is not None else "" for h in header]
    positions: dict[str, int] = {}
    for name, column in profile.columns.items():
        if column in names:
            positions[name] = names.index(column)
    missing = [profile.columns[f] for f in REQUIRED if f not in positions]
    if missing:
        raise DossierFileError(f"Thiếu cột bắt buộc theo hồ sơ cột {profile.name}: {', '.join(missing)}")
    converters = profile.converters()
    plan = [(name, positions[name], converters[name]) for name in FIELDS if name in positions]
    for number, row in enumerate(iterator, start=2):
        if not any(cell not in (None, "") for cell in row):
            continue
        yield number, _record(row, plan)


def _record(row: Sequence[Any], plan: list[tuple[str, int, Any]]) -> DossierRecord | RowError:
    values: dict[str, Any] = {}
    code = None
    for name, position, convert in plan:
        raw = row[position] if position < len(row) else None
        try:
            value = convert(raw)
        except ValueProblem as problem:
            return RowError(0, code, f"{name}: {problem}")
        if name == "code":
            code = value
        if value is not None:
            values[name] = value
    for name in REQUIRED:
        if name not in values:
            return RowError(0, code, f"{name}: thiếu giá trị")
    record = DossierRecord(**values)
    reason = check(record)
    if reason:
        return RowError(0, code, reason)
    return record


_CHANNELS = frozenset(int(c) for c in Channel)
_STATUSES = frozenset(int(s) for s in Status)
_ENDED = frozenset(int(s) for s in ENDED)
_NEEDS_END = _ENDED - {int(s) for s in CLOSED_EARLY}  # withdrawn and stopped often have no end time


def check(record: DossierRecord) -> str | None:
    """Why a record cannot be used, or None."""
    if record.channel not in _CHANNELS:
        return f"channel: kênh {record.channel} không thuộc 1–3"
    if record.status not in _STATUSES:
        return f"status: trạng thái {record.status} không thuộc 1–10"
    if record.status in NEEDS_DUE and record.due_at is None:
        return "due_at: hồ sơ đã tiếp nhận mà không có ngày hẹn trả"
    if record.status in _NEEDS_END and _end(record) is None:
        return "finished_at: hồ sơ đã kết thúc mà không có thời điểm kết thúc"
    if record.accepted_at is not None and record.accepted_at < record.submitted_at:
        return "accepted_at: tiếp nhận trước khi nộp"
    end = _end(record)
    if end is not None and end < record.submitted_at:
        return "finished_at: kết thúc trước khi nộp"
    if record.supplement_count < 0:
        return "supplement_count: số âm"
    return None


def _end(record: DossierRecord) -> datetime | None:
    """End of processing (766): finished, else returned; stopped and withdrawn dossiers end too."""
    if record.status not in _ENDED:
        return None
    return record.finished_at or record.returned_at


@dataclass
class UnitTiers:
    unit_id: int
    tiers: tuple[int, int | None, int | None]


class UnitResolver:
    """Unit code → unit and its ancestors, in the era of the dossier's submission date."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, str], UnitTiers | None] = {}

    def resolve(self, code: str, submitted: datetime) -> UnitTiers | None:
        era = Era.TWO_TIER if submitted.date() >= TWO_TIER_SINCE else Era.THREE_TIER
        key = (era.value, code)
        if key not in self._cache:
            self._cache[key] = self._lookup(era, code)
        return self._cache[key]

    def _lookup(self, era: Era, code: str) -> UnitTiers | None:
        unit = self.session.scalars(select(Unit).where(Unit.era == era, Unit.code == code)).first()
        if unit is None:
            return None
        chain = [unit.id]
        parent_id = unit.parent_id
        while parent_id is not None:
            chain.append(parent_id)
            parent_id = self.session.scalar(select(Unit.parent_id).where(Unit.id == parent_id))
        chain.reverse()  # province first
        padded = [*chain, None, None][:3]
        return UnitTiers(unit.id, (padded[0], padded[1], padded[2]))  # type: ignore[arg-type]


def derive(record: DossierRecord, tiers: UnitTiers, clock: WorkingClock) -> dict[str, Any]:
    """The table row for a record: its values plus what the working-time calendar says of it."""
    row: dict[str, Any] = {name: getattr(record, name) for name in _STORED}
    row["unit_id"] = tiers.unit_id
    row["tier1_id"], row["tier2_id"], row["tier3_id"] = tiers.tiers
    # A date without a time ends with the day's working hours (an appointment on 11/03 is kept until
    # 17:00 that day; a dossier finished "on 12/03" may have finished at its end).
    for name in ("due_at", "finished_at", "returned_at"):
        row[name] = clock.as_day_end(row[name])
    end = clock.as_day_end(_end(record))
    due = row["due_at"]
    accepted = record.accepted_at
    waited = record.supplement_hours
    row["received_day"] = (accepted or record.submitted_at).date()
    row["ended_at"] = end
    row["effective_due_at"] = None
    row["timeliness"] = row["late_hours"] = row["accept_hours"] = row["processing_hours"] = None
    at_accepted = clock.hours_at(accepted) if accepted is not None else None
    at_end = clock.hours_at(end) if end is not None else None
    if due is not None:
        row["effective_due_at"] = clock.calendar.add_working_hours(due, waited) if waited else due
    if at_accepted is not None:
        row["accept_hours"] = round(at_accepted - clock.hours_at(record.submitted_at), 4)
    if at_end is not None and due is not None:
        effective_end = at_end - waited
        late = effective_end - clock.hours_at(due)
        if late > 0 or record.supplement_count > 1:
            row["timeliness"] = int(Timeliness.LATE)
            row["late_hours"] = round(max(late, 0.0), 4)
        elif effective_end <= clock.day_start(due.date()):
            row["timeliness"] = int(Timeliness.EARLY)
        else:
            row["timeliness"] = int(Timeliness.ON_TIME)
    if at_end is not None and at_accepted is not None:
        row["processing_hours"] = round(max(at_end - at_accepted - waited, 0.0), 4)
    return row


def _upsert_sql(session: Session, columns: Sequence[str]) -> str:
    """``INSERT … ON CONFLICT (code) DO UPDATE`` in the driver's own parameter style: rows go straight
    to the driver's executemany (SQLAlchemy's per-value processing costs more than the insert)."""
    marker = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "code")
    placeholders = ", ".join([marker] * len(columns))
    return (
        f"INSERT INTO {Dossier.__tablename__} ({', '.join(columns)}) VALUES ({placeholders})"
        f" ON CONFLICT (code) DO UPDATE SET {updates}"
    )


def _time_positions(session: Session, columns: Sequence[str]) -> list[int]:
    """Where the times are: SQLite gets them as the text SQLAlchemy stores ("2021-03-08 09:00:00.000000")."""
    if session.get_bind().dialect.name != "sqlite":
        return []
    table: Table = Dossier.__table__  # type: ignore[assignment]
    return [i for i, name in enumerate(columns) if table.c[name].type.python_type in (datetime, date)]


def upsert_records(
    session: Session,
    records: Iterable[Numbered],
    calendar: Calendar | None = None,
    result: ImportResult | None = None,
) -> ImportResult:
    """Store numbered records (as ``parse_rows`` yields them) batch by batch, in the session's
    transaction, then refresh the daily summary of the units and days they touched."""
    result = result or ImportResult()
    clock = WorkingClock(calendar or default_calendar())
    resolver = UnitResolver(session)
    table: Table = Dossier.__table__  # type: ignore[assignment]
    columns = [c.name for c in table.columns if c.name != "id"]
    sql = _upsert_sql(session, columns)
    times = _time_positions(session, columns)
    imported_at = utcnow_naive()
    units: set[int] = set()
    days: set[date] = set()
    connection = session.connection()
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, BATCH)):
        rows: dict[str, dict[str, Any]] = {}
        for number, item in batch:
            if isinstance(item, RowError):
                result.errors.append(RowError(number, item.code, item.reason))
                continue
            tiers = resolver.resolve(item.unit_code, item.submitted_at)
            if tiers is None:
                reason = f"unit_code: không có đơn vị mã {item.unit_code}"
                result.errors.append(RowError(number, item.code, reason))
                continue
            rows[item.code] = derive(item, tiers, clock)  # a later row of the same dossier wins
        if not rows:
            continue
        previous = session.execute(
            select(Dossier.unit_id, Dossier.received_day).where(Dossier.code.in_(list(rows)))
        ).all()
        for unit_id, day in previous:
            units.add(unit_id)
            days.add(day)
        values = []
        for row in rows.values():
            row["imported_at"] = imported_at
            units.add(row["unit_id"])
            days.add(row["received_day"])
            value = [row[c] for c in columns]
            for i in times:
                moment = value[i]
                if moment is not None:
                    value[i] = (
                        moment.isoformat(" ", "microseconds")
                        if type(moment) is datetime
                        else moment.isoformat()
                    )
            values.append(tuple(value))
        connection.exec_driver_sql(sql, values)
        result.updated += len(previous)
        result.created += len(rows) - len(previous)
    if units:
        refresh(session, units, min(days), max(days))
    return result


def import_dossiers(
    session: Session,
    path: Path,
    profile: Profile | str | Path = "national",
    calendar: Calendar | None = None,
) -> ImportResult:
    """Import one export file; the caller commits (or rolls back) the session's transaction."""
    if not isinstance(profile, Profile):
        profile = load_profile(profile)
    return upsert_records(session, parse_rows(read_rows(path), profile), calendar)
