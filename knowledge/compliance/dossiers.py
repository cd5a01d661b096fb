"""Importing dossier records from one-stop exports (CSV, XLSX, national sync JSON, iGate JSON).

The layout is found from the file (``knowledge.compliance.exports``) unless a column profile forces
one. The import is one transaction in the caller's session: rows are read, checked and upserted by
dossier code in batches (``INSERT … ON CONFLICT (code) DO UPDATE``), so a newer export of the same
dossiers updates them. A row that cannot be used is reported with its row number (as a spreadsheet
numbers it: the header is row 1 — or the record's position in a JSON list) and the reason; the other
rows are kept. A file that cannot be read at all is refused whole (``DossierFileError``), and the
caller rolls back: what was imported before stays as it was.

Every value is checked before it reaches the database, so that SQLite and PostgreSQL accept the same
rows: text within the column's length and without NUL, times within the working-time calendar and
not in the future (an appointment at most a few years ahead), counts within their column's range.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from knowledge.compliance.clock import Calendar, WorkingClock, default_calendar
from knowledge.compliance.exports import CellProblem, Source, open_export
from knowledge.compliance.exports import DossierFileError as DossierFileError  # re-exported
from knowledge.compliance.gaps import BITS, lacking, mask
from knowledge.compliance.models import (
    CLOSED_EARLY,
    ENDED,
    Channel,
    Dossier,
    Status,
    Timeliness,
    utcnow_naive,
)
from knowledge.compliance.profile import (
    FIELDS,
    REQUIRED,
    TIME_FIELDS,
    UNIT_FIELDS,
    Profile,
    ValueProblem,
    fold_header,
    local_now,
)
from knowledge.compliance.summary import refresh
from knowledge.models import Era, Procedure, Unit

BATCH = 5000
TWO_TIER_SINCE = date(2025, 7, 1)
# Statuses of a received dossier that must carry an appointment (hẹn trả) to be judged on time.
NEEDS_DUE = frozenset(Status) - {Status.SUBMITTED, Status.REFUSED, Status.WITHDRAWN}
EARLIEST = datetime(2013, 1, 1)  # the working-time calendar's first day
FUTURE_SLACK = timedelta(days=1)  # a dossier's events may not be later than the import (+ clock skew)
DUE_HORIZON = timedelta(days=3 * 366)  # an appointment may be this far ahead of the import
MAX_SUPPLEMENTS = 1000
MAX_SUPPLEMENT_HOURS = 3 * 366 * 8.0
LENGTHS = {"code": 64, "procedure_code": 32, "unit_code": 64, "agency_code": 255, "agency_name": 255,
           "procedure_name": 1000, "applicant": 255}  # fmt: skip


@dataclass(slots=True)
class DossierRecord:
    """One dossier in the canonical vocabulary (see ``knowledge.compliance.profile``).

    ``unit_code``/``agency_code``/``agency_name`` and ``procedure_name`` only say where to look the
    unit and the procedure up; ``unknown`` holds the optional fields the export did not give."""

    code: str
    procedure_code: str
    unit_code: str | None
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
    unknown: int = 0
    agency_code: str | None = None
    agency_name: str | None = None
    procedure_name: str | None = None


_LOOKUP_ONLY = frozenset({"unit_code", "agency_code", "agency_name", "procedure_name"})
_STORED = tuple(f.name for f in fields(DossierRecord) if f.name not in _LOOKUP_ONLY)


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
    layout: str = ""  # the profile and kind of file, as detected
    notes: list[str] = field(default_factory=list)  # how the file was read
    missing: list[str] = field(default_factory=list)  # optional fields the file lacks (every row)
    partly_missing: dict[str, int] = field(default_factory=dict)  # field → rows lacking it
    unknown_procedures: int = 0  # rows kept whose procedure name is not in the catalogue

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def write_errors(self, path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["row", "code", "reason"])
            for error in self.errors:
                writer.writerow([error.row, error.code or "", error.reason])


Numbered = tuple[int, "DossierRecord | RowError"]
_CHANNELS = frozenset(int(c) for c in Channel)
_STATUSES = frozenset(int(s) for s in Status)
_ENDED = frozenset(int(s) for s in ENDED)
_NEEDS_END = _ENDED - {int(s) for s in CLOSED_EARLY}  # withdrawn and stopped often have no end time
_NO_CHANNEL = BITS["channel"]
_OPTIONAL_DEFAULTS = {"channel": 0, "supplement_count": 0, "supplement_hours": 0.0}


def parse_source(
    source: Source, now: datetime | None = None, calendar: Calendar | None = None
) -> Iterator[Numbered]:
    """Turn an opened export's rows into records (or row errors), numbered as in the file."""
    profile = source.profile
    time_of = profile.time_converter()
    plan = [(name, profile.converter(name)) for name in FIELDS if name in source.fields]
    absent = mask(frozenset(n for n in FIELDS if n not in source.fields))
    limits = _Limits.at(now or local_now())
    clock = calendar
    positions = source.positions
    if positions is not None:  # a table: cells by column, the common case of a million rows
        columns = [(name, positions[name], convert) for name, convert in plan]
        for number, cells in source.rows:
            if isinstance(cells, CellProblem):
                yield number, RowError(number, None, cells.reason)
                continue
            yield number, _record_cells(cells, columns, absent, limits)  # type: ignore[arg-type]
        return
    for number, raw in source.rows:
        if isinstance(raw, CellProblem):
            yield number, RowError(number, None, raw.reason)
            continue
        assert isinstance(raw, Mapping)
        if "supplement_spans" in raw:
            clock = clock or default_calendar()
            raw = _with_supplement_hours(raw, time_of, clock)
        lacking_here = mask(frozenset(name for name, _ in plan if name not in raw))
        values = [(name, raw[name], convert) for name, convert in plan if name in raw]
        yield number, _record(values, absent | lacking_here, limits)


@dataclass(frozen=True)
class _Limits:
    now: datetime
    latest: datetime = datetime.max
    latest_due: datetime = datetime.max

    @classmethod
    def at(cls, now: datetime) -> _Limits:
        return cls(now, now + FUTURE_SLACK, now + DUE_HORIZON)


def _with_supplement_hours(raw: Any, time_of: Any, calendar: Calendar) -> dict[str, Any]:
    """The national sync's supplement requests turned into working hours waited."""
    row = dict(raw)
    hours = 0.0
    for start, end in row.pop("supplement_spans"):
        try:
            a, b = time_of(start), time_of(end)
        except ValueProblem:
            continue
        if a is None or b is None or b <= a or a < EARLIEST or b > datetime(2099, 12, 31):
            continue
        hours += max(calendar.working_hours_between(a, b), 0.0)
    row["supplement_hours"] = hours
    return row


def _record_cells(
    cells: Sequence[Any], columns: list[tuple[str, int, Callable[[Any], Any]]], unknown: int, limits: _Limits
) -> DossierRecord | RowError:
    """A table row's record: the hot path of a million-row import, hence not shared with _record."""
    values: dict[str, Any] = {}
    code = None
    width = len(cells)
    for name, position, convert in columns:
        try:
            value = convert(cells[position] if position < width else None)
        except ValueProblem as problem:
            return RowError(0, code, f"{name}: {problem}")
        if name == "code":
            code = value
        if value is not None:
            values[name] = value
    return _complete(values, code, unknown, limits)


def _record(
    cells: list[tuple[str, Any, Callable[[Any], Any]]], unknown: int, limits: _Limits
) -> DossierRecord | RowError:
    values: dict[str, Any] = {}
    code = None
    for name, cell, convert in cells:
        try:
            value = convert(cell)
        except ValueProblem as problem:
            return RowError(0, code, f"{name}: {problem}")
        if name == "code":
            code = value
        if value is not None:
            values[name] = value
    return _complete(values, code, unknown, limits)


def _complete(
    values: dict[str, Any], code: str | None, unknown: int, limits: _Limits
) -> DossierRecord | RowError:
    for name in REQUIRED:
        if name not in values:
            return RowError(0, code, f"{name}: thiếu giá trị")
    if "procedure_code" not in values and "procedure_name" not in values:
        return RowError(0, code, "procedure_code: thiếu mã và tên thủ tục")
    for name, default in _OPTIONAL_DEFAULTS.items():
        if name not in values:
            values[name] = default
    values.setdefault("procedure_code", "")
    values.setdefault("unit_code", None)
    if unknown:
        values["unknown"] = unknown
    record = DossierRecord(**values)
    reason = check(record, limits)
    if reason:
        return RowError(0, code, reason)
    return record


def check(record: DossierRecord, limits: _Limits | None = None) -> str | None:
    """Why a record cannot be used, or None."""
    for name, limit in LENGTHS.items():
        text = getattr(record, name)
        if text is not None:
            if "\x00" in text:
                return f"{name}: có ký tự NUL"
            if len(text) > limit:
                return f"{name}: dài {len(text):,} ký tự, quá {limit}"
    if record.channel not in _CHANNELS and not (record.channel == 0 and record.unknown & _NO_CHANNEL):
        return f"channel: kênh {record.channel} không thuộc 1–3"
    if record.status not in _STATUSES:
        return f"status: trạng thái {record.status} không thuộc 1–10"
    if limits is not None:
        earliest, latest = EARLIEST, limits.latest
        submitted, accepted, due = record.submitted_at, record.accepted_at, record.due_at
        finished, returned = record.finished_at, record.returned_at
        if (
            submitted < earliest
            or submitted > latest
            or (accepted is not None and (accepted < earliest or accepted > latest))
            or (due is not None and (due < earliest or due > limits.latest_due))
            or (finished is not None and (finished < earliest or finished > latest))
            or (returned is not None and (returned < earliest or returned > latest))
        ):
            return _time_problem(record, limits)
    if record.status in NEEDS_DUE and record.due_at is None:
        return "due_at: hồ sơ đã tiếp nhận mà không có ngày hẹn trả"
    if record.status in _NEEDS_END and _end(record) is None:
        return "finished_at: hồ sơ đã kết thúc mà không có thời điểm kết thúc"
    if record.accepted_at is not None and record.accepted_at < record.submitted_at:
        return "accepted_at: tiếp nhận trước khi nộp"
    end = _end(record)
    if end is not None and end < record.submitted_at:
        return "finished_at: kết thúc trước khi nộp"
    if not 0 <= record.supplement_count <= MAX_SUPPLEMENTS:
        return f"supplement_count: {record.supplement_count} lần không hợp lý"
    if not (math.isfinite(record.supplement_hours) and record.supplement_hours <= MAX_SUPPLEMENT_HOURS):
        return f"supplement_hours: {record.supplement_hours} giờ không hợp lý"
    return None


def _time_problem(record: DossierRecord, limits: _Limits) -> str:
    for name in TIME_FIELDS:
        moment = getattr(record, name)
        if moment is None:
            continue
        if moment < EARLIEST:
            return f"{name}: {moment:%d/%m/%Y} trước năm {EARLIEST.year} (ngoài lịch làm việc)"
        if moment > (limits.latest_due if name == "due_at" else limits.latest):
            return f"{name}: {moment:%d/%m/%Y %H:%M} ở tương lai"
    raise AssertionError("no time out of range")


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
    """Where a dossier belongs: its unit and the unit's ancestors, in the era of its submission.

    A unit code is looked up as such; an agency code or name (MaCoQuan, DonViXuLy…) through the
    agency table an admin edits (``knowledge.compliance.agencies``), else, for a name, as a unit
    name ("UBND xã Cát Vân" → Xã Cát Vân) when that is unambiguous; a row with none of them goes
    to the default unit (``--unit``)."""

    def __init__(self, session: Session, default: Unit | None = None) -> None:
        self.session = session
        self.default = default
        self._cache: dict[tuple[str, str], UnitTiers | None] = {}
        self._agencies: dict[str, int | None] = {}

    def resolve(self, code: str, submitted: datetime) -> UnitTiers | None:
        era = Era.TWO_TIER if submitted.date() >= TWO_TIER_SINCE else Era.THREE_TIER
        key = (era.value, code)
        if key not in self._cache:
            unit = self.session.scalars(select(Unit).where(Unit.era == era, Unit.code == code)).first()
            self._cache[key] = self._tiers(unit) if unit is not None else None
        return self._cache[key]

    def place(self, record: DossierRecord) -> UnitTiers | str:
        """The record's unit, or why it has none."""
        if record.unit_code:
            tiers = self.resolve(record.unit_code, record.submitted_at)
            return tiers if tiers is not None else f"unit_code: không có đơn vị mã {record.unit_code}"
        for agency in (record.agency_code, record.agency_name):
            if agency:
                unit_id = self._agency(agency)
                if unit_id is not None:
                    return self._by_id(unit_id)
        if record.agency_code or record.agency_name:
            agency = record.agency_code or record.agency_name
            if self.default is None:
                return (
                    f"unit_code: chưa biết cơ quan '{agency}' thuộc đơn vị nào"
                    " (thêm bằng tthc-bot agency add, hoặc dùng --unit)"
                )
        if self.default is not None:
            return self._by_id(self.default.id)
        return "unit_code: tệp không ghi đơn vị; chỉ định đơn vị bằng --unit"

    def _agency(self, text: str) -> int | None:
        key = fold_header(text)
        if key not in self._agencies:
            from knowledge.compliance.agencies import find_agency

            self._agencies[key] = find_agency(self.session, text)
        return self._agencies[key]

    def _by_id(self, unit_id: int) -> UnitTiers:
        key = ("id", str(unit_id))
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._tiers(self.session.get_one(Unit, unit_id))
        return cached

    def _tiers(self, unit: Unit) -> UnitTiers:
        chain = [unit.id]
        parent_id = unit.parent_id
        while parent_id is not None:
            chain.append(parent_id)
            parent_id = self.session.scalar(select(Unit.parent_id).where(Unit.id == parent_id))
        chain.reverse()  # province first
        padded = [*chain, None, None][:3]
        return UnitTiers(unit.id, (padded[0], padded[1], padded[2]))  # type: ignore[arg-type]


class ProcedureNames:
    """A procedure name as exports write it → its code in the loaded catalogue (exact name, without
    regard to case, diacritics, spacing or a leading "Thủ tục"); "" when it is not there."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._codes: dict[str, str] | None = None

    @staticmethod
    def key(name: str) -> str:
        folded = fold_header(name).rstrip(" .")
        return folded.removeprefix("thu tuc ")

    def code(self, name: str) -> str:
        if self._codes is None:
            self._codes = {}
            rows = self.session.execute(select(Procedure.name, Procedure.code).order_by(Procedure.code))
            for procedure_name, code in rows:
                self._codes.setdefault(self.key(procedure_name), code)
        return self._codes.get(self.key(name), "")


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
    default_unit: Unit | None = None,
) -> ImportResult:
    """Store numbered records (as ``parse_source`` yields them) batch by batch, in the session's
    transaction, then refresh the daily summary of the units and days they touched.

    A code met again in the same file is reported against its first row, which is the one kept."""
    result = result or ImportResult()
    clock = WorkingClock(calendar or default_calendar(session))
    resolver = UnitResolver(session, default_unit)
    procedures = ProcedureNames(session)
    table: Table = Dossier.__table__  # type: ignore[assignment]
    columns = [c.name for c in table.columns if c.name != "id"]
    sql = _upsert_sql(session, columns)
    times = _time_positions(session, columns)
    imported_at = utcnow_naive()
    units: set[int] = set()
    days: set[date] = set()
    seen: dict[str, int] = {}
    lacking_rows: dict[int, int] = {}
    connection = session.connection()
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, BATCH)):
        rows: dict[str, dict[str, Any]] = {}
        for number, item in batch:
            if isinstance(item, RowError):
                result.errors.append(RowError(number, item.code, item.reason))
                continue
            first = seen.setdefault(item.code, number)
            if first != number:
                reason = f"code: mã hồ sơ trùng với dòng {first} của tệp (giữ dòng {first})"
                result.errors.append(RowError(number, item.code, reason))
                continue
            place = resolver.place(item)
            if isinstance(place, str):
                result.errors.append(RowError(number, item.code, place))
                continue
            if not item.procedure_code and item.procedure_name:
                item.procedure_code = procedures.code(item.procedure_name)
                result.unknown_procedures += not item.procedure_code
            if item.unknown:
                lacking_rows[item.unknown] = lacking_rows.get(item.unknown, 0) + 1
            rows[item.code] = derive(item, place, clock)
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
    for bits, rows_lacking in lacking_rows.items():
        for name in lacking(bits):
            result.partly_missing[name] = result.partly_missing.get(name, 0) + rows_lacking
    if units:
        refresh(session, units, min(days), max(days))
    return result


_DERIVED = ("ended_at", "effective_due_at", "timeliness", "late_hours", "accept_hours", "processing_hours")
# What a calendar change may alter: the derived values, and the times given as a date only (stored as
# the end of that day's working hours, which a new holiday or swapped day moves).
_RECOMPUTED = ("due_at", "finished_at", "returned_at", *_DERIVED)


def rederive(session: Session, calendar: Calendar, first: date, last: date) -> int:
    """Recompute the stored working-time values of the dossiers whose span (submission to end or
    appointment) touches a day between ``first`` and ``last`` (after a calendar change); returns
    how many changed, and refreshes their daily summary."""
    clock = WorkingClock(calendar)
    start, end = datetime.combine(first, datetime.min.time()), datetime.combine(last, datetime.min.time())
    end += timedelta(days=1)
    stored = [getattr(Dossier, name) for name in _STORED]
    query = select(
        Dossier.id,
        Dossier.unit_id,
        Dossier.tier1_id,
        Dossier.tier2_id,
        Dossier.tier3_id,
        *stored,
        *(getattr(Dossier, name) for name in _DERIVED),
    ).where(
        Dossier.submitted_at < end,
        Dossier.ended_at.is_(None)
        | (Dossier.ended_at >= start)
        | (Dossier.due_at >= start)
        | (Dossier.effective_due_at >= start),
    )
    changes: list[dict[str, Any]] = []
    units: set[int] = set()
    days: set[date] = set()
    for row in session.execute(query):
        values = dict(zip(_STORED, row[5 : 5 + len(_STORED)], strict=True))
        record = DossierRecord(unit_code=None, **values)
        derived = derive(record, UnitTiers(row.unit_id, (row.tier1_id, row.tier2_id, row.tier3_id)), clock)
        before = {**values, **dict(zip(_DERIVED, row[5 + len(_STORED) :], strict=True))}
        now = {name: derived[name] for name in _RECOMPUTED}
        if any(now[name] != before[name] for name in _RECOMPUTED):
            changes.append({"row_id": row.id, **now})
            units.add(row.unit_id)
            days.add(derived["received_day"])
    if changes:
        table: Table = Dossier.__table__  # type: ignore[assignment]
        from sqlalchemy import bindparam, update

        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(name) for name in _RECOMPUTED})
        )
        session.connection().execute(statement, changes)
        refresh(session, units, min(days), max(days))
    return len(changes)


def import_dossiers(
    session: Session,
    path: Path,
    profile: Profile | str | Path | None = None,
    calendar: Calendar | None = None,
    *,
    unit: Unit | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Import one export file, its layout found from the file unless ``profile`` forces one; ``unit``
    is the unit of the rows that name none. The caller commits (or rolls back) the transaction."""
    source = open_export(path, profile)
    calendar = calendar or default_calendar(session)
    if unit is None and not source.fields & set(UNIT_FIELDS):
        raise DossierFileError(f"Tệp không ghi đơn vị (layout {source.kind}): chỉ định đơn vị bằng --unit")
    result = ImportResult(layout=f"{source.kind}, hồ sơ cột {source.profile.name}", notes=list(source.notes))
    upsert_records(session, parse_source(source, now, calendar), calendar, result, unit)
    imported = result.imported or 1
    for name, rows in sorted(result.partly_missing.items()):
        if rows >= imported and name not in result.missing:
            result.missing.append(name)
    for name in result.missing:
        result.partly_missing.pop(name, None)
    return result
