"""Admins' corrections to the working-time calendar, kept in the database so that every host and
process sees the same calendar: a holiday or break the Government announced, or a swapped working
day, as a ``ScheduleEntry`` (``knowledge.workcalendar``).

The calendar in force is the bundled ``calendar.json``, extended by the optional admin file in the
data dir, extended by these entries (an entry that ``covers`` a holiday of a year replaces the
bundled entry for it). ``calendar_for`` rebuilds it only when the stored entries change.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import ValidationError
from sqlalchemy import DateTime, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from knowledge.compliance.profile import fold_header
from knowledge.models import Base
from knowledge.workcalendar import (
    DEFAULT_WORKING_PERIODS,
    CalendarError,
    Holiday,
    ScheduleEntry,
    WorkCalendar,
    _validation_message,
    base_schedule,
    merge_schedules,
)


def _utcnow() -> datetime:
    from knowledge.compliance.models import utcnow_naive

    return utcnow_naive()


class CalendarChange(Base):
    """One admin correction to the calendar: the entry as JSON (``ScheduleEntry``), who, when."""

    __tablename__ = "calendar_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    entry: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)

    def schedule_entry(self) -> ScheduleEntry:
        return ScheduleEntry.model_validate_json(self.entry)


@dataclass(frozen=True)
class _Cached:
    signature: tuple[int, int, datetime | None]
    calendar: WorkCalendar


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def stored_changes(session: Session) -> list[CalendarChange]:
    return list(session.scalars(select(CalendarChange).order_by(CalendarChange.id)))


def build_calendar(changes: list[ScheduleEntry]) -> WorkCalendar:
    """The calendar of the bundled schedule (and admin file) extended by ``changes``."""
    entries, periods = base_schedule()
    if changes:
        entries = merge_schedules(entries, changes, "lịch do quản trị viên sửa")
    return WorkCalendar(entries, periods or DEFAULT_WORKING_PERIODS)


def calendar_for(session: Session) -> WorkCalendar:
    """The calendar in force, rebuilt when the stored changes differ from the cached ones (their
    count, last id and last time: SQLite gives a new row the id of the last one removed)."""
    signature_row = session.execute(
        select(
            func.count(CalendarChange.id),
            func.coalesce(func.max(CalendarChange.id), 0),
            func.max(CalendarChange.created_at),
        )
    ).one()
    signature = (int(signature_row[0]), int(signature_row[1]), signature_row[2])
    key = str(session.get_bind().engine.url)
    cached = _cache.get(key)
    if cached is not None and cached.signature == signature:
        return cached.calendar
    with _lock:
        calendar = build_calendar([c.schedule_entry() for c in stored_changes(session)])
        _cache[key] = _Cached(signature, calendar)
    return calendar


def add_change(session: Session, entry: ScheduleEntry, actor: str) -> CalendarChange:
    """Store a correction; raises CalendarError when it clashes with the calendar in force."""
    current = [c.schedule_entry() for c in stored_changes(session)]
    build_calendar([*current, entry])  # validates: a clash raises CalendarError
    change = CalendarChange(
        year=entry.year, name=entry.name, entry=entry.model_dump_json(exclude_none=True), actor=actor
    )
    session.add(change)
    session.flush()
    return change


def remove_change(session: Session, change_id: int) -> CalendarChange | None:
    change = session.get(CalendarChange, change_id)
    if change is not None:
        session.delete(change)
        session.flush()
    return change


@dataclass(frozen=True)
class Applied:
    change: CalendarChange
    changed_days: list[date]
    recomputed: int  # dossiers whose stored working-time values changed


def _recompute(session: Session, before: WorkCalendar) -> tuple[list[date], int]:
    from knowledge.compliance.dossiers import rederive

    after = calendar_for(session)
    days = after.changed_days(before)
    if not days:
        return days, 0
    return days, rederive(session, after, min(days), max(days))


def apply_change(session: Session, entry: ScheduleEntry, actor: str) -> Applied:
    """Store a correction and recompute what it changes in the stored dossiers (one transaction)."""
    before = calendar_for(session)
    change = add_change(session, entry, actor)
    days, recomputed = _recompute(session, before)
    return Applied(change, days, recomputed)


def withdraw_change(session: Session, change_id: int) -> Applied | None:
    """Remove a stored correction (by its id) and recompute what that changes."""
    before = calendar_for(session)
    change = remove_change(session, change_id)
    if change is None:
        return None
    days, recomputed = _recompute(session, before)
    return Applied(change, days, recomputed)


_HOLIDAY_WORDS = {
    "tet": Holiday.TET,
    "tết": Holiday.TET,
    "tet-duong-lich": Holiday.NEW_YEAR,
    "tết-dương-lịch": Holiday.NEW_YEAR,
    "gio-to": Holiday.HUNG_KINGS,
    "giỗ-tổ": Holiday.HUNG_KINGS,
    "30/4": Holiday.REUNIFICATION,
    "1/5": Holiday.LABOUR_DAY,
    "quoc-khanh": Holiday.NATIONAL_DAY,
    "quốc-khánh": Holiday.NATIONAL_DAY,
    **{h.value: h for h in Holiday},
}


def _day(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_change(words: list[str], actor: str, source: str | None = None) -> ScheduleEntry:
    """An entry from an admin's words (the same on the command line and in Telegram):

        nghi 05/02/2027..13/02/2027 [le:tet] Tết Đinh Mùi 2027     (days off; a range with "..")
        lambu 30/01/2027 [le:tet] Tết Đinh Mùi 2027                (a swapped working day)

    Several dates may be given; ``le:KEY`` (tet, tet-duong-lich, gio-to, 30/4, 1/5, quoc-khanh, or
    the English keys) says which statutory holiday the entry settles for its year, replacing the
    bundled entry for it. The rest is the entry's name. Raises ValueError with the reason."""
    if not words or fold_word(words[0]) not in ("nghi", "lambu"):
        raise ValueError("cần 'nghi' (ngày nghỉ) hoặc 'lambu' (ngày làm bù) trước các ngày")
    kind = fold_word(words[0])
    off: list[date | tuple[date, date]] = []
    work: list[date] = []
    covers: list[Holiday] = []
    name: list[str] = []
    for word in words[1:]:
        lowered = word.lower()
        if lowered.startswith(("le:", "lễ:")):
            holiday = _HOLIDAY_WORDS.get(lowered.split(":", 1)[1])
            if holiday is None:
                raise ValueError(
                    f"không biết ngày lễ '{word}' (tet, tet-duong-lich, gio-to, 30/4, 1/5, quoc-khanh)"
                )
            covers.append(holiday)
            continue
        first, _, last = word.partition("..")
        start, end = _day(first), _day(last) if last else None
        if start is None or (last and end is None):
            name.append(word)
            continue
        if kind == "lambu":
            work.append(start)
        elif end is not None:
            off.append((start, end))
        else:
            off.append(start)
    days = [d if isinstance(d, date) else d[0] for d in off] + work
    if not days:
        raise ValueError("không có ngày nào (dd/mm/yyyy hoặc yyyy-mm-dd, khoảng: ngày..ngày)")
    if not name:
        raise ValueError("cần tên đợt nghỉ, ví dụ: Tết Đinh Mùi 2027")
    try:
        return ScheduleEntry(
            name=" ".join(name),
            year=min(days).year
            if not covers
            else max(days).year
            if min(days).month == 12
            else min(days).year,
            covers=covers,
            off=off,
            work=work,
            confidence="confirmed",
            source=source or f"quản trị viên {actor}",
        )
    except ValidationError as exc:
        raise ValueError(_validation_message(exc)) from exc


def fold_word(word: str) -> str:
    return fold_header(word).replace(" ", "")


def describe(entry: ScheduleEntry) -> str:
    """One line for admins: name, days off, swapped days."""
    data = json.loads(entry.model_dump_json())
    off = ", ".join(item if isinstance(item, str) else f"{item[0]}..{item[1]}" for item in data["off"])
    work = ", ".join(data["work"])
    parts = [entry.name]
    if off:
        parts.append(f"nghỉ {off}")
    if work:
        parts.append(f"làm bù {work}")
    return "; ".join(parts)


__all__ = ["CalendarChange", "CalendarError", "add_change", "calendar_for", "remove_change"]
