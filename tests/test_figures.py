"""Figures per unit and period: each on-time/overdue rule and each rate on hand-made dossiers.

Dates are in March 2021 (no holiday; working hours 07:30–11:30 and 13:00–17:00) unless a test is
about a holiday. 8 March 2021 is a Monday.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.compliance.dossiers import DossierRecord, upsert_records
from knowledge.compliance.figures import (
    Period,
    processing_times,
    unit_and_children,
    unit_figures,
)
from knowledge.compliance.models import Dossier, Timeliness
from knowledge.compliance.worklists import WorkList, worklist
from knowledge.models import Unit
from tests.factories import dossier, unit

MARCH = Period(date(2021, 3, 1), date(2021, 3, 31))
NOW = datetime(2021, 3, 31, 10, 0)


@pytest.fixture
def units(session: Session) -> dict[str, Unit]:
    province = unit(session, "38", "province", name="Tỉnh Thanh Hóa")
    district = unit(session, "402", "district", province, name="Huyện Như Xuân")
    return {
        "province": province,
        "district": district,
        "a": unit(session, "16174", "township", district, name="Thị trấn Yên Cát"),
        "b": unit(session, "16177", "commune", district, name="Xã Bãi Trành"),
    }


def store(session: Session, *records: DossierRecord) -> None:
    result = upsert_records(session, enumerate(records, start=2))
    assert result.errors == []
    session.flush()


def timeliness(session: Session, code: str) -> tuple[int | None, float | None]:
    row = session.execute(select(Dossier.timeliness, Dossier.late_hours).where(Dossier.code == code)).one()
    return row[0], row[1]


def test_finished_before_the_appointment_date_is_early(session: Session, units: dict[str, Unit]) -> None:
    store(session, dossier(code="E"))
    assert timeliness(session, "E") == (Timeliness.EARLY, None)


def test_finished_on_the_appointment_date_in_time_is_on_time(
    session: Session, units: dict[str, Unit]
) -> None:
    store(session, dossier(code="O", finished_at=datetime(2021, 3, 10, 8, 30)))
    assert timeliness(session, "O") == (Timeliness.ON_TIME, None)


def test_finished_a_working_day_after_the_appointment_is_late_by_eight_hours(
    session: Session, units: dict[str, Unit]
) -> None:
    store(session, dossier(code="L", finished_at=datetime(2021, 3, 11, 9, 0)))
    assert timeliness(session, "L") == (Timeliness.LATE, 8.0)


def test_weekend_does_not_count_as_lateness(session: Session, units: dict[str, Unit]) -> None:
    # Due Friday 12 March 09:00, finished Monday 15 March 09:00: one working day late, not three.
    store(session, dossier(code="W", due_at=datetime(2021, 3, 12, 9), finished_at=datetime(2021, 3, 15, 9)))
    assert timeliness(session, "W") == (Timeliness.LATE, 8.0)


def test_tet_break_does_not_count_as_lateness(session: Session, units: dict[str, Unit]) -> None:
    # The civil-service Tết break of 2026 ran 14–22 February: due Friday 13 at 09:00, finished
    # Monday 23 at 09:00 is one working day late.
    province = unit(session, "38", "province", era="2025", name="Tỉnh Thanh Hóa")
    unit(session, "16000", "commune", province, era="2025")
    store(
        session,
        dossier(
            code="T",
            unit_code="16000",
            submitted_at=datetime(2026, 2, 10, 9),
            accepted_at=None,
            due_at=datetime(2026, 2, 13, 9),
            finished_at=datetime(2026, 2, 23, 9),
        ),
    )
    assert timeliness(session, "T") == (Timeliness.LATE, 8.0)


def test_supplement_waiting_time_is_excluded(session: Session, units: dict[str, Unit]) -> None:
    # Finished a working day after the appointment, but the applicant took a working day to supplement.
    store(
        session,
        dossier(code="S", finished_at=datetime(2021, 3, 11, 9), supplement_count=1, supplement_hours=8),
    )
    assert timeliness(session, "S") == (Timeliness.ON_TIME, None)


def test_supplements_asked_twice_count_as_late(session: Session, units: dict[str, Unit]) -> None:
    store(session, dossier(code="S2", supplement_count=2))
    assert timeliness(session, "S2") == (Timeliness.LATE, 0.0)


def open_dossier(code: str, **overrides: object) -> DossierRecord:
    values: dict[str, object] = {
        "code": code,
        "status": 4,
        "finished_at": None,
        "returned_at": None,
        "due_at": datetime(2021, 3, 10, 9),
    }
    values.update(overrides)
    return dossier(**values)


def test_overdue_now_rules(session: Session, units: dict[str, Unit]) -> None:
    wednesday_noon = datetime(2021, 3, 10, 12, 0)
    store(
        session,
        open_dossier("past-due"),  # overdue
        open_dossier("waiting-supplement", status=5),  # the clock stops while the applicant supplements
        open_dossier("extended", supplement_count=1, supplement_hours=8),  # due moves to Thursday 09:00
        open_dossier("asked-twice", due_at=datetime(2021, 3, 20, 9), supplement_count=2),  # counts as overdue
        open_dossier("not-yet", due_at=datetime(2021, 3, 12, 9)),
    )
    figures = unit_figures(session, units["a"], MARCH, wednesday_noon)
    assert (figures.received, figures.in_progress, figures.overdue_now) == (5, 5, 2)
    listed = worklist(session, units["district"], WorkList.OVERDUE, wednesday_noon).items
    # past-due: due Wednesday 09:00, judged at 12:00: 2.5 working hours late
    assert [(d.code, d.hours) for d in listed] == [("past-due", 2.5), ("asked-twice", 0.0)]
    assert listed[0].unit_name == "Thị trấn Yên Cát"


def test_overdue_list_counts_working_days_late(session: Session, units: dict[str, Unit]) -> None:
    store(session, open_dossier("X"))  # due Wednesday 10 March 09:00
    # To Monday 15 March 10:00: Wed 6.5 h + Thu 8 + Fri 8 + Mon 2.5 = 25 working hours.
    [listed] = worklist(session, units["a"], WorkList.OVERDUE, datetime(2021, 3, 15, 10, 0)).items
    assert listed.hours == 25.0


def test_rates_on_hand_made_records(session: Session, units: dict[str, Unit]) -> None:
    store(
        session,
        # 1: in person, early, fee paid in person, digitised
        dossier(code="1", fee_bearing=True, digitised=True),
        # 2: online full-process, paid online, digitised, electronic result, reused data, on time
        dossier(
            code="2",
            channel=2,
            online_level="toan_trinh",
            fee_bearing=True,
            paid_online=True,
            digitised=True,
            e_result=True,
            reused=True,
            finished_at=datetime(2021, 3, 10, 8),
        ),
        # 3: online partial, accepted 8 working hours after submission (late acceptance), late, apology
        dossier(
            code="3",
            channel=2,
            online_level="mot_phan",
            accepted_at=datetime(2021, 3, 9, 9),
            due_at=datetime(2021, 3, 11, 9),
            finished_at=datetime(2021, 3, 12, 9),
            apology=True,
        ),
        # 4: by post under a partial service, late without apology
        dossier(code="4", channel=3, online_level="mot_phan", finished_at=datetime(2021, 3, 11, 9)),
        # 5: in progress, overdue now, no apology
        open_dossier("5"),
        # 6: online, still waiting for acceptance since Monday: not received, not accepted in time
        dossier(
            code="6",
            channel=2,
            online_level="toan_trinh",
            status=1,
            accepted_at=None,
            due_at=None,
            finished_at=None,
            returned_at=None,
        ),
        # 7: refused at reception: not received
        dossier(code="7", status=3, due_at=None, finished_at=None, returned_at=None),
        # 8: in another period
        dossier(
            code="8",
            submitted_at=datetime(2021, 4, 1, 9),
            accepted_at=datetime(2021, 4, 1, 9),
            due_at=datetime(2021, 4, 5, 9),
            finished_at=datetime(2021, 4, 2, 9),
        ),
    )
    f = unit_figures(session, units["a"], MARCH, NOW)
    assert (f.received, f.finished, f.in_progress) == (5, 4, 1)
    assert (f.early, f.on_time, f.late, f.overdue_now) == (1, 1, 2, 1)
    assert f.on_time_rate == 40.0  # (5 − 2 late − 1 overdue) ÷ 5
    assert (f.online, f.online_full, f.online_partial) == (2, 1, 1)
    assert (f.online_rate, f.online_full_rate, f.online_partial_rate) == (40.0, 20.0, 20.0)
    assert (f.fee_bearing, f.paid_online, f.online_payment_rate) == (2, 1, 50.0)
    assert (f.fee_procedures, f.paid_procedures) == (1, 1)
    assert (f.digitised_rate, f.e_result_rate, f.reuse_rate) == (40.0, 20.0, 20.0)
    assert f.unaccepted_online == 2  # dossier 3 (8 h) and dossier 6 (never accepted)
    assert f.late_without_apology == 2  # dossiers 4 and 5
    assert f.offers_online == 3


def test_average_processing_time_per_procedure(session: Session, units: dict[str, Unit]) -> None:
    store(
        session,
        # accepted Monday 09:00, finished Tuesday 15:00: 6.5 + 6 = 12.5 working hours
        dossier(code="a", procedure_code="1.001193"),
        # accepted Monday 09:00, finished Thursday 09:00 with 8 hours of supplement waiting:
        # 6.5 + 8 + 8 + 1.5 − 8 = 16 working hours
        dossier(
            code="b",
            procedure_code="1.001193",
            finished_at=datetime(2021, 3, 11, 9),
            supplement_count=1,
            supplement_hours=8,
        ),
        # accepted Monday 09:00, finished Monday 11:00: 2 hours
        dossier(code="c", procedure_code="2.000815", finished_at=datetime(2021, 3, 8, 11)),
    )
    times = processing_times(session, units["district"], MARCH)
    assert [(t.procedure_code, t.dossiers, t.average_days) for t in times] == [
        ("1.001193", 2, round((12.5 + 16) / 2 / 8, 2)),
        ("2.000815", 1, 0.25),
    ]
    assert unit_figures(session, units["a"], MARCH, NOW).average_processing_days == round(30.5 / 3 / 8, 2)


def test_roll_up_groups_children_and_counts_procedures_once(session: Session, units: dict[str, Unit]) -> None:
    store(
        session,
        dossier(
            code="a1",
            unit_code="16174",
            fee_bearing=True,
            paid_online=True,
            channel=2,
            online_level="toan_trinh",
        ),
        dossier(code="a2", unit_code="16174"),
        dossier(code="b1", unit_code="16177", fee_bearing=True),
        dossier(code="d1", unit_code="402"),
    )
    total, by_child = unit_and_children(session, units["province"], MARCH, NOW)
    assert set(by_child) == {units["district"].id}
    assert total.received == 4
    total, by_child = unit_and_children(session, units["district"], MARCH, NOW)
    assert {k: v.received for k, v in by_child.items()} == {units["a"].id: 2, units["b"].id: 1, None: 1}
    # The same procedure is fee-bearing in both communes: it counts once for the district.
    assert (total.fee_procedures, total.paid_procedures) == (1, 1)
    assert (by_child[units["b"].id].fee_procedures, by_child[units["b"].id].paid_procedures) == (1, 0)


def test_period_of_month_quarter_year() -> None:
    today = date(2021, 2, 14)
    assert Period.of("tháng", today) == Period(date(2021, 2, 1), date(2021, 2, 28))
    assert Period.of("quy", today) == Period(date(2021, 1, 1), date(2021, 3, 31))
    assert Period.of("năm", today) == Period(date(2021, 1, 1), date(2021, 12, 31))
    assert Period.of("quý", date(2021, 11, 30)) == Period(date(2021, 10, 1), date(2021, 12, 31))
