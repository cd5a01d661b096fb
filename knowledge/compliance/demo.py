"""Deterministic demo dossiers: realistic records for a set of units and a period.

A scenario describes how each unit behaves — which online service it offers for its procedures
(full-process, partial only, none), how many applicants use it, how punctual its staff are — and the
generator draws dossiers from that with a fixed seed per unit. The records go through the same
importer as real exports, so the figures, scores, ranking and classification are computed from the
records like any others; nothing downstream knows the scenario.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.compliance.clock import Calendar, default_calendar
from knowledge.compliance.dossiers import DossierRecord, ImportResult, upsert_records
from knowledge.compliance.models import Channel, OnlineLevel, Status
from knowledge.models import Era, Unit

Offer = Literal["full", "partial", "none"]


@dataclass(frozen=True)
class DemoProcedure:
    code: str
    days: int  # working days to process
    fee_bearing: bool
    full_process: bool  # can be offered toàn trình where the unit offers it
    weight: int


# Commune-level procedures (national catalogue codes): civil status, certification.
COMMUNE_PROCEDURES = (
    DemoProcedure("1.001193", 1, False, True, 30),  # đăng ký khai sinh
    DemoProcedure("1.000656", 1, False, True, 8),  # đăng ký khai tử
    DemoProcedure("1.000894", 1, False, True, 10),  # đăng ký kết hôn
    DemoProcedure("2.000815", 1, True, False, 35),  # chứng thực bản sao từ bản chính
    DemoProcedure("1.001022", 3, True, True, 7),  # đăng ký nhận cha, mẹ, con
    DemoProcedure("1.004746", 5, True, True, 10),  # đăng ký lại kết hôn
)


@dataclass(frozen=True)
class UnitBehaviour:
    code: str
    offer: Offer
    uptake: float  # share of dossiers filed online where the service is online
    volume: int  # dossiers in the period
    punctuality: float = 0.97  # share finished within the deadline


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    era: Era
    parent_code: str
    start: date
    end: date
    as_of: datetime  # the moment the export was taken: later work is still open
    units: tuple[UnitBehaviour, ...] = ()
    # With no ``units``: every child of the parent, its behaviour drawn from these offers.
    offers: tuple[tuple[Offer, float, float], ...] = ()  # (offer, probability, uptake)


def _nhu_xuan() -> Scenario:
    full = ("16174", "16222", "16219")  # Yên Cát, Thanh Sơn, Thanh Lâm
    partial = ("16177", "16207", "16204")  # Bãi Trành, Thanh Quân, Bình Lương
    zero = ("16183", "16180", "16186", "16198", "16201", "16225", "16216", "16210", "16213")
    behaviours = (
        *(UnitBehaviour(code, "full", 0.45, 260) for code in full),
        *(UnitBehaviour(code, "partial", 0.25, 220) for code in partial),
        *(UnitBehaviour(code, "partial", 0.0, 180) for code in zero),
        UnitBehaviour("16195", "none", 0.0, 150),  # Cát Vân
    )
    return Scenario(
        "nhu-xuan-2021",
        "Huyện Như Xuân, Thanh Hóa, quý I/2021 (trước sáp nhập)",
        Era.THREE_TIER,
        "402",
        date(2021, 1, 1),
        date(2021, 3, 31),
        datetime(2021, 4, 2, 8, 0),
        behaviours,
    )


def _thanh_hoa() -> Scenario:
    return Scenario(
        "thanh-hoa-2026",
        "Tỉnh Thanh Hóa (chính quyền hai cấp), quý I/2026, gồm kỳ nghỉ Tết Bính Ngọ",
        Era.TWO_TIER,
        "38",
        date(2026, 1, 1),
        date(2026, 3, 31),
        datetime(2026, 4, 1, 8, 0),
        offers=(("full", 0.5, 0.55), ("partial", 0.3, 0.3), ("partial", 0.15, 0.0), ("none", 0.05, 0.0)),
    )


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (_nhu_xuan(), _thanh_hoa())}


def behaviours(session: Session, scenario: Scenario) -> list[tuple[Unit, UnitBehaviour]]:
    """The scenario's units (which must be loaded) with their behaviour."""
    parent = session.scalars(
        select(Unit).where(Unit.era == scenario.era, Unit.code == scenario.parent_code)
    ).first()
    if parent is None:
        raise LookupError(f"Chưa có đơn vị {scenario.parent_code}: hãy chạy `tthc-bot load` trước")
    children = {u.code: u for u in session.scalars(select(Unit).where(Unit.parent_id == parent.id))}
    if scenario.units:
        return [(children[b.code], b) for b in scenario.units]
    result = []
    for code, child in sorted(children.items()):
        rng = random.Random(f"{scenario.name}:{code}:behaviour")
        offer, uptake = _pick(rng, scenario.offers)
        result.append(
            (child, UnitBehaviour(code, offer, uptake, rng.randint(40, 120), rng.uniform(0.9, 0.99)))
        )
    return result


def _pick(rng: random.Random, offers: tuple[tuple[Offer, float, float], ...]) -> tuple[Offer, float]:
    roll, acc = rng.random(), 0.0
    for offer, probability, uptake in offers:
        acc += probability
        if roll < acc:
            return offer, uptake
    return offers[-1][0], offers[-1][2]


def generate(
    scenario: Scenario, unit_code: str, behaviour: UnitBehaviour, calendar: Calendar
) -> Iterator[DossierRecord]:
    """The unit's dossiers for the scenario, always the same for the same scenario and unit."""
    rng = random.Random(f"{scenario.name}:{unit_code}")
    days = [
        scenario.start + timedelta(days=n)
        for n in range((scenario.end - scenario.start).days + 1)
        if calendar.is_working_day(scenario.start + timedelta(days=n))
    ]
    weights = [p.weight for p in COMMUNE_PROCEDURES]
    for sequence in range(1, behaviour.volume + 1):
        procedure = rng.choices(COMMUNE_PROCEDURES, weights)[0]
        level: str | None = None
        if behaviour.offer == "full":
            level = OnlineLevel.FULL if procedure.full_process else OnlineLevel.PARTIAL
        elif behaviour.offer == "partial":
            level = OnlineLevel.PARTIAL
        online = level is not None and rng.random() < behaviour.uptake
        channel = Channel.ONLINE if online else (Channel.POST if rng.random() < 0.02 else Channel.DIRECT)
        day = rng.choice(days)
        submitted = datetime.combine(day, time(7, 30)) + timedelta(minutes=rng.randrange(0, 9 * 60))
        accepted = submitted
        if online:
            wait = rng.uniform(0.2, 4.0) if rng.random() < 0.93 else rng.uniform(6.5, 16.0)
            accepted = calendar.add_working_hours(submitted, wait)
        due = calendar.add_working_hours(accepted, procedure.days * 8)
        supplements = 0 if rng.random() < 0.94 else (1 if rng.random() < 0.9 else 2)
        waited = round(rng.uniform(2, 16), 1) if supplements else 0.0
        if rng.random() < behaviour.punctuality:
            work = rng.uniform(0.3, 1.0) * procedure.days * 8
        else:
            work = procedure.days * 8 + rng.uniform(1, 24)
        finished = calendar.add_working_hours(accepted, work + waited)
        ended = finished <= scenario.as_of
        late = work > procedure.days * 8
        paid_online = procedure.fee_bearing and online and level == OnlineLevel.FULL and rng.random() < 0.85
        yield DossierRecord(
            code=f"{unit_code}-{day:%y%m%d}-{sequence:04d}",
            procedure_code=procedure.code,
            unit_code=unit_code,
            channel=int(channel),
            status=int(Status.RETURNED if ended else Status.IN_PROGRESS),
            submitted_at=submitted,
            online_level=level,
            accepted_at=accepted,
            due_at=due,
            finished_at=finished if ended else None,
            returned_at=finished + timedelta(hours=1) if ended else None,
            supplement_count=supplements,
            supplement_hours=waited,
            fee_bearing=procedure.fee_bearing,
            paid_online=paid_online,
            digitised=rng.random() < 0.7,
            e_result=rng.random() < (0.9 if online else 0.3),
            reused=rng.random() < 0.25,
            apology=late and rng.random() < 0.5,
        )


def load_scenario(session: Session, name: str, calendar: Calendar | None = None) -> ImportResult:
    """Generate the scenario's dossiers and upsert them (again: nothing changes) in the session."""
    scenario = SCENARIOS[name]
    calendar = calendar or default_calendar(session)
    records = (
        record
        for unit, behaviour in behaviours(session, scenario)
        for record in generate(scenario, unit.code, behaviour, calendar)
    )
    return upsert_records(session, enumerate(records, start=1), calendar)
