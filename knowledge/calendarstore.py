"""Admins' corrections to the working-time calendar, kept in the database so that every host and
worker sees the same calendar: a holiday or break the Government announced, or a swapped working
day, as a ``ScheduleEntry`` (``knowledge.workcalendar``).

The calendar in force is the bundled ``calendar.json``, extended by the optional admin file in the
data dir, extended by these entries (an entry that ``covers`` a holiday of a year replaces the
bundled entry for it). ``calendar_for`` rebuilds it only when the stored entries change.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from knowledge.models import Base
from knowledge.workcalendar import (
    DEFAULT_WORKING_PERIODS,
    CalendarError,
    ScheduleEntry,
    WorkCalendar,
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
    signature: tuple[int, int]
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
    """The calendar in force, rebuilt when the stored changes differ from the cached ones."""
    signature_row = session.execute(
        select(func.count(CalendarChange.id), func.coalesce(func.max(CalendarChange.id), 0))
    ).one()
    signature = (int(signature_row[0]), int(signature_row[1]))
    key = str(session.get_bind().url)
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
