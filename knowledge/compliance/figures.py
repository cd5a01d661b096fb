"""Figures per unit and period, as SQL aggregates (the same queries on SQLite and PostgreSQL).

Everything that does not depend on the time of asking is summed from the daily summary
(``knowledge.compliance.summary``); what does — overdue, online dossiers still waiting for
acceptance — is counted over the open dossiers only, through a partial index.

A period holds the dossiers received in it: by their day of reception (``received_day``, the day of
acceptance, else of submission). "Received" dossiers are those neither waiting for reception
(status 1) nor refused at it (status 3); every rate below has them as denominator unless said
otherwise. Open dossiers are judged at the period's end when it is past, else now (``judged_at``):
the portal takes "the last day of the reporting period" as the end of a dossier not yet finished, so
a report on a past month does not change with the day it is asked. The portal's rules (research
notes, §2.2 and §3; the formula document of indicator 2.1):

- a dossier that ended is early, on time or late against its appointment, supplement waiting time
  excluded; asked for supplements more than once, it counts as late (computed at import); a dossier
  withdrawn (status 7) or stopped (8) has ended, judged against its appointment when the export
  gives its end time, else neither early, on time nor late (``ended_unjudged``);
- an open dossier is overdue when the effective appointment has passed (the clock stops while it
  waits for the applicant's supplement, status 5), or when it was asked for supplements twice;
- on-time rate (766 indicator 2.1) = received dossiers neither late nor overdue ÷ received;
- online rate = online-channel dossiers ÷ all received dossiers, split toàn trình / một phần;
- online-payment rate = fee-bearing dossiers paid online ÷ fee-bearing dossiers;
- an online dossier is "not accepted within 6 working hours" when its acceptance took longer, or it
  still waits for acceptance 6 working hours after submission;
- "late without an apology letter" counts dossiers past their appointment (ended after it, or open
  and overdue by it) for which no letter was sent — not those late only by the supplements rule.

A report also shows the dossiers carried over from earlier periods ("từ kỳ trước", as the monthly
sheet has them): received before the period and not ended when it began.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from knowledge.compliance.clock import Calendar, default_calendar
from knowledge.compliance.gaps import NEEDS, unknown_counts
from knowledge.compliance.models import Channel, Dossier, DossierSummary, Status, Timeliness
from knowledge.compliance.summary import (
    ACCEPT_WITHIN_HOURS,
    apologised,
    count,
    received,
    static_conditions,
    still_open,
)
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
            return cls.month(today.year, today.month)
        if kind == "quy":
            return cls.quarter(today.year, (today.month - 1) // 3 + 1)
        if kind == "nam":
            return cls(date(today.year, 1, 1), date(today.year, 12, 31))
        raise ValueError(f"kỳ không rõ: {kind}")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        start = date(year, month, 1)
        return cls(start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        start = date(year, 3 * quarter - 2, 1)
        return cls(start, (start + timedelta(days=95)).replace(day=1) - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, time()), datetime.combine(self.end + timedelta(days=1), time())

    def judged_at(self, now: datetime) -> datetime:
        """When open dossiers are judged: the period's end once it is past, else now."""
        return min(now, self.bounds()[1])


def _rate(part: int, whole: int) -> float | None:
    """A percentage with two decimals, or None when there is nothing to divide by."""
    return round(100.0 * part / whole, 2) if whole else None


@dataclass
class Figures:
    """The counts of one unit (or child) and period; rates are derived, in percent."""

    received: int = 0
    in_progress: int = 0
    overdue_now: int = 0  # open and overdue when judged (now, or the end of a past period)
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
    def has_data(self) -> bool:
        """Whether the unit received any dossier in the period: without, it has no figures at all."""
        return self.received > 0

    @property
    def ended_unjudged(self) -> int:
        """Ended without an end time to judge them by (withdrawn or stopped, as exported)."""
        return self.finished - self.early - self.on_time - self.late

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
        data["ended_unjudged"] = self.ended_unjudged
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


def past_due(at: Any) -> ColumnElement[bool]:
    """Open dossiers past their effective appointment at ``at``; the clock stops while the applicant
    supplements (status 5)."""
    return (Dossier.status != int(Status.SUPPLEMENT)) & (Dossier.effective_due_at < at)


def overdue(at: Any) -> ColumnElement[bool]:
    """Open received dossiers overdue at ``at``: past their appointment, or asked for supplements
    more than once."""
    return received() & still_open() & (past_due(at) | (Dossier.supplement_count > 1))


def awaiting_acceptance(cutoff: Any) -> ColumnElement[bool]:
    """Online dossiers still waiting for acceptance, submitted before ``cutoff``."""
    return (
        (Dossier.channel == int(Channel.ONLINE))
        & (Dossier.status == int(Status.SUBMITTED))
        & (Dossier.submitted_at < cutoff)
    )


def _open_conditions() -> dict[str, ColumnElement[bool]]:
    """What depends on the time of judging (``:at``, ``:cutoff``); counted over open dossiers only."""
    at: Any = bindparam("at")
    return {
        "overdue_now": overdue(at),
        "overdue_unapologised": received() & still_open() & past_due(at) & ~apologised(),
        "awaiting_acceptance": awaiting_acceptance(bindparam("cutoff")),
    }


def judging_params(period: Period, now: datetime, calendar: Calendar) -> dict[str, datetime]:
    at = period.judged_at(now)
    return {"at": at, "cutoff": calendar.add_working_hours(at, -ACCEPT_WITHIN_HOURS)}


STATIC = tuple(static_conditions())


def unit_depth(session: Session, unit: Unit) -> int:
    """1 for a province, 2 for a district (or a commune after 2025), 3 for a commune before 2025."""
    depth, parent_id = 1, unit.parent_id
    while parent_id is not None:
        depth += 1
        parent_id = session.scalar(select(Unit.parent_id).where(Unit.id == parent_id))
    return depth


def tier_of(session: Session, unit: Unit) -> Any:
    """The dossiers' column that holds this unit for its own dossiers and its descendants'."""
    depth = unit_depth(session, unit)
    if depth > len(TIERS):
        raise ValueError(f"{unit!r} is deeper than the dossier tiers")
    return TIERS[depth - 1]


def in_period(period: Period) -> ColumnElement[bool]:
    return (Dossier.received_day >= period.start) & (Dossier.received_day <= period.end)


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
    # The summary: everything that does not depend on the time of judging.
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
    # The open dossiers: what depends on the time of judging.
    dossier_group: Any = TIERS[depth] if by_child and depth < len(TIERS) else literal(None)
    conditions = _open_conditions()
    open_counts = select(
        dossier_group.label("key"), *(count(c).label(name) for name, c in conditions.items())
    ).where(TIERS[depth - 1] == unit.id, still_open(), in_period(period))
    if by_child:
        open_counts = open_counts.group_by(dossier_group)
    for row in session.execute(open_counts, judging_params(period, now, calendar)).mappings():
        figures = result.setdefault(row["key"], Figures())
        figures.overdue_now = int(row["overdue_now"])
        figures.late_without_apology += int(row["overdue_unapologised"])
        figures.unaccepted_online += int(row["awaiting_acceptance"])
    for key, fee, paid in _payments(session, in_scope, group):
        if key in result:
            result[key].fee_procedures = fee
            result[key].paid_procedures = paid
    for key, counts in unknown_counts(
        session, TIERS[depth - 1], unit.id, period.start, period.end, dossier_group if by_child else None
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
class CarriedOver:
    """Dossiers received before the period and not ended when it began ("từ kỳ trước"), and what
    became of them by the time of judging: ended (of which late), or still open (of which overdue)."""

    count: int = 0
    finished: int = 0
    finished_late: int = 0
    open: int = 0
    overdue: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def carried_over(
    session: Session, unit: Unit, period: Period, now: datetime, calendar: Calendar | None = None
) -> CarriedOver:
    calendar = calendar or default_calendar(session)
    start, _end = period.bounds()
    at = period.judged_at(now)
    open_then = still_open() | (Dossier.ended_at >= start)
    open_at = still_open() | (Dossier.ended_at >= at)
    ended_by = Dossier.ended_at < at
    query = select(
        func.count(),
        count(ended_by),
        count(ended_by & (Dossier.timeliness == int(Timeliness.LATE))),
        count(open_at),
        count(open_at & (past_due(at) | (Dossier.supplement_count > 1))),
    ).where(tier_of(session, unit) == unit.id, received(), Dossier.received_day < period.start, open_then)
    total, finished, late, still, late_open = session.execute(query).one()
    return CarriedOver(int(total), int(finished), int(late), int(still), int(late_open))


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


@dataclass(frozen=True)
class ProcedureFigures:
    """One procedure's line of the per-procedure breakdown."""

    procedure_code: str
    procedure_name: str | None
    received: int
    online: int
    fee_bearing: int
    paid_online: int
    late: int  # ended late
    overdue: int  # open and overdue when judged
    unknown: dict[str, int] = field(default_factory=dict)  # as Figures.unknown, for this procedure

    @property
    def online_rate(self) -> float | None:
        """Over the dossiers whose channel is known: None when the exports gave none."""
        return _rate(self.online, self.received - self.unknown.get("channel", 0))

    @property
    def online_payment_rate(self) -> float | None:
        if self.received and self.unknown.get("fee_bearing", 0) >= self.received:
            return None
        return _rate(self.paid_online, self.fee_bearing)


def procedure_breakdown(
    session: Session, unit: Unit, period: Period, now: datetime, calendar: Calendar | None = None
) -> list[ProcedureFigures]:
    """Received, online share, online payment and lateness per procedure, the most received first."""
    calendar = calendar or default_calendar(session)
    depth = unit_depth(session, unit)
    summed = ("received", "online", "fee_bearing", "paid_online", "late")
    names = select(Procedure.name).where(Procedure.code == DossierSummary.procedure_code).scalar_subquery()
    query = (
        select(
            DossierSummary.procedure_code,
            func.max(names),
            *(func.sum(getattr(DossierSummary, name)) for name in summed),
        )
        .where(
            SUMMARY_TIERS[depth - 1] == unit.id,
            DossierSummary.day >= period.start,
            DossierSummary.day <= period.end,
        )
        .group_by(DossierSummary.procedure_code)
    )
    rows = {code: (name, [int(v or 0) for v in values]) for code, name, *values in session.execute(query)}
    late_open = select(Dossier.procedure_code, count(overdue(bindparam("at")))).where(
        TIERS[depth - 1] == unit.id, still_open(), in_period(period)
    )
    params = judging_params(period, now, calendar)
    overdue_by = dict(session.execute(late_open.group_by(Dossier.procedure_code), params).tuples().all())
    lacks = unknown_counts(
        session, TIERS[depth - 1], unit.id, period.start, period.end, Dossier.procedure_code
    )
    result = []
    for code, (name, (got, online, fee, paid, late)) in rows.items():
        late_now = int(overdue_by.get(code, 0))
        if got or late_now:
            lacking = lacks.get(code, {})
            result.append(ProcedureFigures(code, name, got, online, fee, paid, late, late_now, lacking))
    return sorted(result, key=lambda p: (-p.received, p.procedure_code))
