"""Demo scenarios: deterministic, and the report computed from their records classifies and ranks
the units as the scenario describes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.compliance.demo import SCENARIOS, load_scenario
from knowledge.compliance.figures import Period
from knowledge.compliance.models import Dossier
from knowledge.compliance.ranking import unit_report
from knowledge.units import get_unit, load_units

FULL = {"Thị trấn Yên Cát", "Xã Thanh Sơn", "Xã Thanh Lâm"}
PARTIAL = {"Xã Bãi Trành", "Xã Thanh Quân", "Xã Bình Lương"}
ZERO = {
    "Xã Xuân Bình",
    "Xã Xuân Hòa",
    "Xã Hóa Quỳ",
    "Xã Cát Tân",
    "Xã Tân Bình",
    "Xã Thượng Ninh",
    "Xã Thanh Phong",
    "Xã Thanh Xuân",
    "Xã Thanh Hòa",
}


def test_nhu_xuan_2021_classification_and_ranking(session: Session) -> None:
    load_units(session)
    first = load_scenario(session, "nhu-xuan-2021")
    again = load_scenario(session, "nhu-xuan-2021")
    assert first.errors == [] and first.created > 2000
    assert (again.created, again.updated) == (0, first.created)  # same records: deterministic
    scenario = SCENARIOS["nhu-xuan-2021"]
    district = get_unit(session, "402", "2008")
    assert district is not None
    report = unit_report(session, district, Period(scenario.start, scenario.end), scenario.as_of)
    classes = {child.unit.name: child.online_class.value for child in report.children}
    assert classes == {
        **dict.fromkeys(FULL, "full_online"),
        **dict.fromkeys(PARTIAL, "partial_online"),
        **dict.fromkeys(ZERO, "zero"),
        "Xã Cát Vân": "none",
    }
    ranked = [child.unit.name for child in report.children]
    assert set(ranked[:3]) == FULL and set(ranked[3:6]) == PARTIAL
    zero_rates = {child.figures.online_rate for child in report.children if child.unit.name in ZERO}
    assert zero_rates == {0.0}
    assert report.own.figures.received == sum(child.figures.received for child in report.children)


def test_two_tier_province_scenario(session: Session) -> None:
    load_units(session)
    result = load_scenario(session, "thanh-hoa-2026")
    assert result.errors == []
    scenario = SCENARIOS["thanh-hoa-2026"]
    province = get_unit(session, "38", "2025")
    assert province is not None
    report = unit_report(session, province, Period(scenario.start, scenario.end), scenario.as_of)
    assert len(report.children) == len(province.children)
    classes = {child.online_class.value for child in report.children}
    assert classes == {"full_online", "partial_online", "zero", "none"}
    # A period holds the dossiers received (accepted) in it: those submitted online late on 31 March and
    # accepted in April belong to April.
    accepted_later = session.scalar(
        select(func.count()).select_from(Dossier).where(Dossier.received_day > scenario.end)
    )
    submitted_before = session.scalar(
        select(func.count())
        .select_from(Dossier)
        .where(Dossier.received_day > scenario.end, Dossier.submitted_at < datetime(2026, 4, 1))
    )
    assert accepted_later and accepted_later == submitted_before
    assert report.own.figures.received == result.created - accepted_later
    # Nothing was submitted during the 2026 Tết break (14–22 February).
    during_tet = (Dossier.submitted_at >= datetime(2026, 2, 14)) & (
        Dossier.submitted_at < datetime(2026, 2, 23)
    )
    assert session.scalar(select(func.count()).select_from(Dossier).where(during_tet)) == 0
