"""The lists an office acts on: which dossiers to apologise for, accept, chase or hurry.

- ``late-no-apology``: past the appointment (ended after it, or open and past it) and no apology letter
  sent (the export's flag, or a letter issued through the bot); open ones first, as a letter can still
  come before the result;
- ``waiting-acceptance``: online dossiers not yet accepted, the longest waiting first, with the
  working hours waited (over the 6 the rules allow first);
- ``supplemented-twice``: asked for more papers more than once (the rules ask for one complete
  request); open ones first;
- ``due-soon``: open, not overdue, due within one working day;
- ``overdue``: open and overdue (past the appointment, or asked for supplements twice), the longest
  overdue first.

A list covers every dossier of the unit and its descendants, or with a period those received in it;
open dossiers are judged now, or at the end of a past period, like the figures.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from knowledge.compliance.clock import Calendar, default_calendar
from knowledge.compliance.figures import (
    Period,
    awaiting_acceptance,
    in_period,
    overdue,
    past_due,
    tier_of,
)
from knowledge.compliance.models import Channel, Dossier, Status, Timeliness
from knowledge.compliance.summary import apologised, ended, received, still_open
from knowledge.compliance.xlsx import workbook
from knowledge.models import Procedure, Unit

DUE_SOON_HOURS = 8  # one working day


class WorkList(enum.StrEnum):
    LATE_NO_APOLOGY = "late-no-apology"
    WAITING_ACCEPTANCE = "waiting-acceptance"
    SUPPLEMENTED_TWICE = "supplemented-twice"
    DUE_SOON = "due-soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class WorkItem:
    """One dossier of a list, with what the list is about in working hours (``hours``): how late
    (late-no-apology, overdue), how long it has waited (waiting-acceptance), how long is left
    (due-soon); for supplemented-twice, how late if it is (else 0)."""

    id: int
    code: str
    procedure_code: str
    procedure_name: str | None
    unit_code: str
    unit_name: str
    applicant: str | None
    channel: int
    status: int
    submitted_at: datetime
    accepted_at: datetime | None
    due_at: datetime | None
    effective_due_at: datetime | None
    ended_at: datetime | None
    supplement_count: int
    hours: float

    @property
    def is_open(self) -> bool:
        return self.ended_at is None and self.status not in (Status.WITHDRAWN, Status.STOPPED)

    @property
    def received_at(self) -> datetime:
        return self.accepted_at or self.submitted_at

    def as_dict(self) -> dict[str, Any]:
        def moment(t: datetime | None) -> str | None:
            return t.isoformat(timespec="minutes") if t is not None else None

        return {
            "code": self.code,
            "procedure_code": self.procedure_code,
            "procedure_name": self.procedure_name,
            "unit": self.unit_code,
            "unit_name": self.unit_name,
            "applicant": self.applicant,
            "channel": self.channel,
            "status": self.status,
            "submitted_at": moment(self.submitted_at),
            "accepted_at": moment(self.accepted_at),
            "due_at": moment(self.due_at),
            "effective_due_at": moment(self.effective_due_at),
            "ended_at": moment(self.ended_at),
            "supplement_count": self.supplement_count,
            "hours": round(self.hours, 2),
        }


@dataclass(frozen=True)
class Page:
    items: list[WorkItem]
    total: int  # in the whole list
    judged_at: datetime


def _condition(which: WorkList, at: datetime, calendar: Calendar) -> ColumnElement[bool]:
    if which is WorkList.LATE_NO_APOLOGY:
        ended_late = ended() & (Dossier.timeliness == int(Timeliness.LATE)) & (Dossier.late_hours > 0)
        return received() & ~apologised() & (ended_late | (still_open() & past_due(at)))
    if which is WorkList.WAITING_ACCEPTANCE:  # all of them, the longest waiting (past 6 hours) first
        return awaiting_acceptance(at)
    if which is WorkList.SUPPLEMENTED_TWICE:
        return received() & (Dossier.supplement_count > 1)
    if which is WorkList.DUE_SOON:
        soon = calendar.add_working_hours(at, DUE_SOON_HOURS)
        return (
            received()
            & still_open()
            & (Dossier.status != int(Status.SUPPLEMENT))
            & (Dossier.supplement_count <= 1)
            & (Dossier.effective_due_at >= at)
            & (Dossier.effective_due_at <= soon)
        )
    return overdue(at)


def _order(which: WorkList) -> list[Any]:
    open_first = case((still_open(), 0), else_=1)
    if which is WorkList.LATE_NO_APOLOGY:
        return [open_first, Dossier.effective_due_at.desc(), Dossier.code]
    if which is WorkList.WAITING_ACCEPTANCE:
        return [Dossier.submitted_at, Dossier.code]
    if which is WorkList.SUPPLEMENTED_TWICE:
        return [open_first, Dossier.received_day.desc(), Dossier.code]
    return [Dossier.effective_due_at, Dossier.code]


def _scope(session: Session, unit: Unit, period: Period | None) -> list[ColumnElement[bool]]:
    scope = [tier_of(session, unit) == unit.id]
    if period is not None:
        scope.append(in_period(period))
    return scope


def judged_at(now: datetime, period: Period | None) -> datetime:
    return period.judged_at(now) if period is not None else now


def worklist(
    session: Session,
    unit: Unit,
    which: WorkList,
    now: datetime,
    *,
    period: Period | None = None,
    offset: int = 0,
    limit: int | None = None,
    calendar: Calendar | None = None,
) -> Page:
    """A page of the list (all of it without ``limit``) and the size of the whole list."""
    calendar = calendar or default_calendar(session)
    at = judged_at(now, period)
    where = [*_scope(session, unit, period), _condition(which, at, calendar)]
    total = session.scalar(select(func.count()).select_from(Dossier).where(*where)) or 0
    query = (
        select(Dossier, Procedure.name, Unit.code, Unit.name)
        .join(Unit, Unit.id == Dossier.unit_id)
        .outerjoin(Procedure, Procedure.code == Dossier.procedure_code)
        .where(*where)
        .order_by(*_order(which))
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    items = [
        _item(dossier, name, unit_code, unit_name, which, at, calendar)
        for dossier, name, unit_code, unit_name in session.execute(query).tuples()
    ]
    return Page(items, int(total), at)


def counts(
    session: Session,
    unit: Unit,
    now: datetime,
    *,
    period: Period | None = None,
    lists: Sequence[WorkList] = tuple(WorkList),
    calendar: Calendar | None = None,
) -> dict[WorkList, int]:
    """How many dossiers each list holds, in one query."""
    calendar = calendar or default_calendar(session)
    at = judged_at(now, period)
    conditions = {which: _condition(which, at, calendar) for which in lists}
    query = select(*(func.coalesce(func.sum(case((c, 1), else_=0)), 0) for c in conditions.values()))
    row = session.execute(query.select_from(Dossier).where(*_scope(session, unit, period))).one()
    return {which: int(value) for which, value in zip(conditions, row, strict=True)}


def _item(
    dossier: Dossier,
    name: str | None,
    unit_code: str,
    unit_name: str,
    which: WorkList,
    at: datetime,
    calendar: Calendar,
) -> WorkItem:
    due = dossier.effective_due_at
    if which is WorkList.WAITING_ACCEPTANCE:
        hours = calendar.working_hours_between(dossier.submitted_at, at)
    elif which is WorkList.DUE_SOON and due is not None:
        hours = calendar.working_hours_between(at, due)
    elif dossier.ended_at is not None:
        hours = dossier.late_hours or 0.0
    elif due is not None:
        hours = max(calendar.working_hours_between(due, at), 0.0)
    else:
        hours = 0.0
    return WorkItem(
        id=dossier.id,
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        procedure_name=name,
        unit_code=unit_code,
        unit_name=unit_name,
        applicant=dossier.applicant,
        channel=dossier.channel,
        status=dossier.status,
        submitted_at=dossier.submitted_at,
        accepted_at=dossier.accepted_at,
        due_at=dossier.due_at,
        effective_due_at=due,
        ended_at=dossier.ended_at,
        supplement_count=dossier.supplement_count,
        hours=round(hours, 2),
    )


LIST_TITLES = {
    WorkList.LATE_NO_APOLOGY: "Hồ sơ trễ hạn chưa có văn bản xin lỗi",
    WorkList.WAITING_ACCEPTANCE: "Hồ sơ trực tuyến chờ tiếp nhận",
    WorkList.SUPPLEMENTED_TWICE: "Hồ sơ yêu cầu bổ sung quá 1 lần",
    WorkList.DUE_SOON: "Hồ sơ đến hạn trong 1 ngày làm việc",
    WorkList.OVERDUE: "Hồ sơ đang quá hạn",
}
HOURS_HEADERS = {
    WorkList.LATE_NO_APOLOGY: "Giờ làm việc quá hạn",
    WorkList.WAITING_ACCEPTANCE: "Giờ làm việc đã chờ",
    WorkList.SUPPLEMENTED_TWICE: "Giờ làm việc quá hạn",
    WorkList.DUE_SOON: "Giờ làm việc còn lại",
    WorkList.OVERDUE: "Giờ làm việc quá hạn",
}
CHANNEL_NAMES = {Channel.DIRECT: "Trực tiếp", Channel.ONLINE: "Trực tuyến", Channel.POST: "Bưu chính"}
STATUS_NAMES = {
    Status.SUBMITTED: "Mới đăng ký",
    Status.REFUSED: "Không được tiếp nhận",
    Status.ACCEPTED: "Được tiếp nhận",
    Status.IN_PROGRESS: "Đang xử lý",
    Status.SUPPLEMENT: "Yêu cầu bổ sung",
    Status.FINANCIAL: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWN: "Công dân rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.DONE: "Đã xử lý xong",
    Status.RETURNED: "Đã trả kết quả",
}


def worklist_xlsx(items: Sequence[WorkItem], which: WorkList, title: str) -> bytes:
    """Every row of a list as a one-sheet workbook (times as spreadsheet dates)."""
    headers = (
        "STT", "Mã hồ sơ", "Mã thủ tục", "Thủ tục", "Đơn vị", "Chủ hồ sơ", "Kênh", "Trạng thái",
        "Ngày nộp", "Ngày tiếp nhận", "Hẹn trả", "Hẹn trả (tính cả thời gian chờ bổ sung)",
        "Số lần yêu cầu bổ sung", HOURS_HEADERS[which],
    )  # fmt: skip
    rows = [
        (
            number, item.code, item.procedure_code, item.procedure_name, item.unit_name, item.applicant,
            CHANNEL_NAMES.get(Channel(item.channel)), STATUS_NAMES.get(Status(item.status)),
            item.submitted_at, item.accepted_at, item.due_at, item.effective_due_at,
            item.supplement_count, item.hours,
        )
        for number, item in enumerate(items, start=1)
    ]  # fmt: skip
    widths: dict[str, float] = {"B": 24, "D": 50, "E": 24, "F": 24, "I": 17, "J": 17, "K": 17, "L": 17}
    return workbook((LIST_TITLES[which][:31], title, headers, rows, widths))
