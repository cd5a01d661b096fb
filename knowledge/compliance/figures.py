"""Figures per unit and period, as SQL aggregates (the same queries on SQLite and PostgreSQL).

Everything that does not depend on the time of asking is summed from the daily summary
(``knowledge.compliance.summary``); what does — overdue now, online dossiers still waiting for
acceptance — is counted over the open dossiers only, through a partial index.

A dossier belongs to a period by its submission time. "Received" dossiers are those neither waiting
for reception (status 1) nor refused at it (status 3); every rate below has them as denominator
unless said otherwise. The portal's rules (see the research notes, §2.2 and §3):

- a dossier that ended is early, on time or late against its appointment, supplement waiting time
  excluded; asked for supplements more than once, it counts as late (computed at import);
- an open dossier is overdue now when the effective appointment has passed (the clock stops while it
  waits for the applicant's supplement, status 5), or when it was asked for supplements twice;
- on-time rate (766 indicator 2.1) = received dossiers neither late nor overdue now ÷ received;
- online rate = online-channel dossiers ÷ all received dossiers, split toàn trình / một phần;
- online-payment rate = fee-bearing dossiers paid online ÷ fee-bearing dossiers;
- an online dossier is "not accepted within 6 working hours" when its acceptance took longer, or it
  still waits for acceptance 6 working hours after submission.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from knowledge.compliance.clock import Calendar, default_calendar
from knowledge.compliance.gaps import NEEDS, unknown_counts
from knowledge.compliance.models import Channel, Dossier, DossierSummary, Status
from knowledge.compliance.summary import ACCEPT_WITHIN_HOURS, count, flag, received, static_conditions
from knowledge.models import Procedure, Unit

SUMMARY_TIERS = (DossierSummary.tier1_id, DossierSummary.tier2_id, DossierSummary.tier3_id)
TIERS = (Dossier.tier1_id, Dossier.tier2_id, Dossier.tier3_id)


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: date
    end: date

    @classmethod
    def of(cls, kind: str, today: date) -> Period:
        """The month, quarter or year (``thang``/``quy``/``nam``, or English) containing ``today``."""
        kind = {
            "tháng": "thang",
            "month": "thang",
            "quý": "quy",
            "quarter": "quy",
            "năm": "nam",
            "year": "nam",
        }.get(kind, kind)
        if kind == "thang":
            start = today.replace(day=1)
            end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        elif kind == "quy":
            first = 3 * ((today.month - 1) // 3) + 1
            start = date(today.year, first, 1)
            end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
        elif kind == "nam":
            start, end = date(today.year, 1, 1), date(today.year, 12, 31)
        else:
            raise ValueError(f"kỳ không rõ: {kind}")
        return cls(start, end)

    def bounds(self) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, time()), datetime.combine(self.end + timedelta(days=1), time())


def _rate(part: int, whole: int) -> float | None:
    """A percentage with two decimals, or None when there is nothing to divide by."""
    return round(100.0 * part / whole, 2) if whole else None


@dataclass
class Figures:
    """The counts of one unit (or child) and period; rates are derived, in percent."""

    received: int = 0
    in_progress: int = 0
    overdue_now: int = 0
    finished: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    online: int = 0
    online_full: int = 0
    online_partial: int = 0
    offers_online: int = 0  # received under a service offered online (any level)
    fee_bearing: int = 0
    paid_online: int = 0
    digitised: int = 0
    e_result: int = 0
    reused: int = 0
    supplement_twice: int = 0
    unaccepted_online: int = 0
    late_without_apology: int = 0
    processed: int = 0  # ended dossiers with a processing time
    processing_hours: float = 0.0
    fee_procedures: int = 0  # procedures with fee-bearing dossiers
    paid_procedures: int = 0  # … of which at least one was paid online
    # Received dossiers whose export lacked an optional field (knowledge.compliance.gaps): they are
    # left out of the rates that need the field, which have no value when no dossier has it.
    unknown: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: Figures) -> Figures:
        summed = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.name != "unknown"
        }
        unknown = dict(self.unknown)
        for name, rows in other.unknown.items():
            unknown[name] = unknown.get(name, 0) + rows
        return Figures(**summed, unknown=unknown)

    def _known(self, *names: str) -> int:
        """Received dossiers that have all these fields (the lacks overlap in practice: one file)."""
        return self.received - max((self.unknown.get(n, 0) for n in names), default=0)

    def no_data(self, figure: str) -> bool:
        """Whether ``figure`` (a rate or count name) has no data: no received dossier has what it needs."""
        return bool(self.received) and any(
            self.unknown.get(n, 0) >= self.received for n in NEEDS.get(figure, ())
        )

    def lacking(self) -> dict[str, int]:
        """Optional fields some received dossiers lack, with how many."""
        return {name: rows for name, rows in self.unknown.items() if rows}

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.received - self.late - self.overdue_now, self.received)

    @property
    def online_rate(self) -> float | None:
        return _rate(self.online, self._known("channel"))

    @property
    def online_full_rate(self) -> float | None:
        return _rate(self.online_full, self._known("channel", "online_level"))

    @property
    def online_partial_rate(self) -> float | None:
        return _rate(self.online_partial, self._known("channel", "online_level"))

    @property
    def online_payment_rate(self) -> float | None:
        if self.no_data("online_payment_rate"):
            return None
        return _rate(self.paid_online, self.fee_bearing)

    @property
    def paid_procedure_rate(self) -> float | None:
        if self.no_data("paid_procedure_rate"):
            return None
        return _rate(self.paid_procedures, self.fee_procedures)

    @property
    def digitised_rate(self) -> float | None:
        return _rate(self.digitised, self._known("digitised"))

    @property
    def e_result_rate(self) -> float | None:
        return _rate(self.e_result, self._known("e_result"))

    @property
    def reuse_rate(self) -> float | None:
        return _rate(self.reused, self._known("reused"))

    @property
    def average_processing_days(self) -> float | None:
        if not self.processed:
            return None
        return round(self.processing_hours / self.processed / 8, 2)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["processing_hours"] = round(self.processing_hours, 2)
        for name in RATES:
            data[name] = getattr(self, name)
        data["average_processing_days"] = self.average_processing_days
        data["no_data"] = [name for name in NEEDS if self.no_data(name)]
        return data


RATES = (
    "on_time_rate",
    "online_rate",
    "online_full_rate",
    "online_partial_rate",
    "online_payment_rate",
    "paid_procedure_rate",
    "digitised_rate",
    "e_result_rate",
    "reuse_rate",
)


def _overdue() -> ColumnElement[bool]:
    """Open received dossiers past their effective appointment (the clock stops while the applicant
    supplements, status 5), or asked for supplements more than once; needs ``:now``."""
    is_open = received() & Dossier.ended_at.is_(None)
    return is_open & (
        ((Dossier.status != int(Status.SUPPLEMENT)) & (Dossier.effective_due_at < bindparam("now")))
        | (Dossier.supplement_count > 1)
    )


def _open_conditions() -> dict[str, ColumnElement[bool]]:
    """What depends on the time of asking; counted over the open dossiers only."""
    overdue = _overdue()
    return {
        "overdue_now": overdue,
        "overdue_unapologised": overdue & ~flag(Dossier.apology),
        "awaiting_acceptance": (Dossier.channel == int(Channel.ONLINE))
        & (Dossier.status == int(Status.SUBMITTED))
        & (Dossier.submitted_at < bindparam("cutoff")),
    }


STATIC = tuple(static_conditions())


def unit_depth(session: Session, unit: Unit) -> int:
    """1 for a province, 2 for a district (or a commune after 2025), 3 for a commune before 2025."""
    depth, parent_id = 1, unit.parent_id
    while parent_id is not None:
        depth += 1
        parent_id = session.scalar(select(Unit.parent_id).where(Unit.id == parent_id))
    return depth


def figures_by(
    session: Session,
    unit: Unit,
    period: Period,
    now: datetime,
    *,
    by_child: bool = False,
    calendar: Calendar | None = None,
) -> dict[int | None, Figures]:
    """The unit's figures (key None), or with ``by_child`` one entry per child unit that has dossiers
    (key: the child's id) and the unit's own dossiers under None."""
    calendar = calendar or default_calendar(session)
    depth = unit_depth(session, unit)
    if depth > len(TIERS):
        raise ValueError(f"{unit!r} is deeper than the dossier tiers")
    start, end = period.bounds()
    # The summary: everything that does not depend on the time of asking.
    group: Any = SUMMARY_TIERS[depth] if by_child and depth < len(TIERS) else literal(None)
    in_scope = (
        (SUMMARY_TIERS[depth - 1] == unit.id)
        & (DossierSummary.day >= period.start)
        & (DossierSummary.day <= period.end)
    )
    sums = select(
        group.label("key"),
        *(func.coalesce(func.sum(getattr(DossierSummary, name)), 0).label(name) for name in SUMMED),
    ).where(in_scope)
    result: dict[int | None, Figures] = {}
    for row in session.execute(sums.group_by(group) if by_child else sums).mappings():
        result[row["key"]] = _from_summary(row)
    # The open dossiers: what depends on now.
    dossier_group: Any = TIERS[depth] if by_child and depth < len(TIERS) else literal(None)
    conditions = _open_conditions()
    open_counts = select(
        dossier_group.label("key"), *(count(c).label(name) for name, c in conditions.items())
    ).where(
        TIERS[depth - 1] == unit.id,
        Dossier.ended_at.is_(None),
        Dossier.submitted_at >= start,
        Dossier.submitted_at < end,
    )
    if by_child:
        open_counts = open_counts.group_by(dossier_group)
    params = {"now": now, "cutoff": calendar.add_working_hours(now, -ACCEPT_WITHIN_HOURS)}
    for row in session.execute(open_counts, params).mappings():
        figures = result.setdefault(row["key"], Figures())
        figures.overdue_now = int(row["overdue_now"])
        figures.late_without_apology += int(row["overdue_unapologised"])
        figures.unaccepted_online += int(row["awaiting_acceptance"])
    for key, fee, paid in _payments(session, in_scope, group):
        if key in result:
            result[key].fee_procedures = fee
            result[key].paid_procedures = paid
    for key, counts in unknown_counts(
        session, TIERS[depth - 1], unit.id, start, end, dossier_group if by_child else None
    ).items():
        if key in result:
            result[key].unknown = counts
    return result


SUMMED = (*STATIC, "processed", "processing_hours")


def _from_summary(row: Any) -> Figures:
    counts: dict[str, Any] = {name: int(row[name]) for name in STATIC}
    slow = counts.pop("slow_acceptance")
    unapologised = counts.pop("late_unapologised")
    return Figures(
        **counts,
        unaccepted_online=slow,
        late_without_apology=unapologised,
        processed=int(row["processed"]),
        processing_hours=float(row["processing_hours"]),
    )


def _payments(session: Session, scope: ColumnElement[bool], group: Any) -> list[tuple[Any, int, int]]:
    """766 indicator 3.5b per group: procedures with fee-bearing dossiers, and how many of them had at
    least one dossier paid online (a distinct count, so it cannot be summed over children)."""
    per_procedure = (
        select(
            group.label("key"),
            DossierSummary.procedure_code,
            func.max(case((DossierSummary.paid_online > 0, 1), else_=0)).label("paid"),
        )
        .where(scope, DossierSummary.fee_bearing > 0)
        .group_by(group, DossierSummary.procedure_code)
        .subquery()
    )
    query = select(
        per_procedure.c.key, func.count().label("fee"), func.sum(per_procedure.c.paid).label("paid")
    ).group_by(per_procedure.c.key)
    return [(key, int(fee), int(paid or 0)) for key, fee, paid in session.execute(query)]


def unit_and_children(
    session: Session, unit: Unit, period: Period, now: datetime, calendar: Calendar | None = None
) -> tuple[Figures, dict[int | None, Figures]]:
    """The unit's total and its per-child figures (the distinct procedure counts are counted again
    for the total: they cannot be summed)."""
    by_child = figures_by(session, unit, period, now, by_child=True, calendar=calendar)
    total = sum(by_child.values(), Figures())
    total.fee_procedures = total.paid_procedures = 0
    scope = (
        (SUMMARY_TIERS[unit_depth(session, unit) - 1] == unit.id)
        & (DossierSummary.day >= period.start)
        & (DossierSummary.day <= period.end)
    )
    for _key, fee, paid in _payments(session, scope, literal(None)):
        total.fee_procedures, total.paid_procedures = fee, paid
    return total, by_child


def unit_figures(
    session: Session, unit: Unit, period: Period, now: datetime, calendar: Calendar | None = None
) -> Figures:
    """The figures of a unit and all its descendants for the period."""
    return figures_by(session, unit, period, now, calendar=calendar).get(None, Figures())


@dataclass(frozen=True)
class OverdueDossier:
    code: str
    procedure_code: str
    procedure_name: str | None
    unit_name: str
    due_at: datetime
    days_late: int  # working days past the (effective) appointment, started days counted


def overdue_dossiers(
    session: Session,
    unit: Unit,
    now: datetime,
    *,
    limit: int = 50,
    calendar: Calendar | None = None,
) -> list[OverdueDossier]:
    """Open dossiers of the unit and its descendants that are overdue now, the longest overdue first."""
    calendar = calendar or default_calendar(session)
    tier = TIERS[unit_depth(session, unit) - 1]
    overdue = _overdue()
    query = (
        select(Dossier.code, Dossier.procedure_code, Procedure.name, Unit.name, Dossier.effective_due_at)
        .join(Unit, Unit.id == Dossier.unit_id)
        .outerjoin(Procedure, Procedure.code == Dossier.procedure_code)
        .where(tier == unit.id, overdue)
        .order_by(Dossier.effective_due_at, Dossier.code)
        .limit(limit)
    )
    return [
        OverdueDossier(code, procedure, name, unit_name, due, _days_late(calendar, due, now))
        for code, procedure, name, unit_name, due in session.execute(query, {"now": now})
    ]


def _days_late(calendar: Calendar, due: datetime, now: datetime) -> int:
    """Working days past the appointment, a started day counting as one (8 hours a day)."""
    return math.ceil(max(calendar.working_hours_between(due, now), 0.0) / 8)


@dataclass(frozen=True)
class ProcessingTime:
    procedure_code: str
    procedure_name: str | None
    dossiers: int
    average_days: float  # working days, supplement waiting excluded


def processing_times(session: Session, unit: Unit, period: Period) -> list[ProcessingTime]:
    """766 indicator 2.2: average processing time of ended dossiers, per procedure, slowest first."""
    tier = SUMMARY_TIERS[unit_depth(session, unit) - 1]
    processed = func.sum(DossierSummary.processed)
    average = func.sum(DossierSummary.processing_hours) / processed
    names = select(Procedure.name).where(Procedure.code == DossierSummary.procedure_code).scalar_subquery()
    query = (
        select(DossierSummary.procedure_code, func.max(names), processed, average)
        .where(tier == unit.id, DossierSummary.day >= period.start, DossierSummary.day <= period.end)
        .group_by(DossierSummary.procedure_code)
        .having(processed > 0)
        .order_by(average.desc(), DossierSummary.procedure_code)
    )
    return [
        ProcessingTime(code, name, int(n), round(float(avg) / 8, 2))
        for code, name, n, avg in session.execute(query)
    ]
