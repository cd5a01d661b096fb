"""The lists an office acts on (late without an apology letter, waiting for acceptance, supplemented
twice, due soon, overdue): which dossiers each holds, in which order, and the `dossiers` command.

March 2021 (no holiday), working hours 07:30–11:30 and 13:00–17:00; 8 March is a Monday.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from bot.cli import main
from knowledge.compliance.apology import find_dossier, letter_data, record_letter
from knowledge.compliance.dossiers import DossierRecord, upsert_records
from knowledge.compliance.figures import Period, unit_figures
from knowledge.compliance.worklists import WorkList, counts, worklist, worklist_xlsx
from knowledge.models import Unit
from knowledge.settings import get_settings
from tests.factories import dossier, unit

NOW = datetime(2021, 3, 17, 10, 0)  # Wednesday
MARCH = Period(date(2021, 3, 1), date(2021, 3, 31))


def open_dossier(code: str, **overrides: object) -> DossierRecord:
    values: dict[str, object] = {"code": code, "status": 4, "finished_at": None, "returned_at": None}
    values.update(overrides)
    return dossier(**values)


def waiting(code: str, submitted: datetime) -> DossierRecord:
    return dossier(
        code=code, channel=2, online_level="toan_trinh", status=1, submitted_at=submitted,
        accepted_at=None, due_at=None, finished_at=None, returned_at=None,
    )  # fmt: skip


RECORDS = [
    # ended past its appointment (Wed 10 09:00 → Thu 11 09:00: 8 h late), no apology
    dossier(code="ended-late", finished_at=datetime(2021, 3, 11, 9)),
    # ended past its appointment, with the export's apology flag
    dossier(code="ended-late-sorry", finished_at=datetime(2021, 3, 11, 9), apology=True),
    # late only because supplements were asked twice: not past the appointment
    dossier(code="ended-twice", supplement_count=2),
    # open, due Monday 15 10:00: on Wednesday 17 10:00, 5.5 + 8 + 2.5 = 16 h late, no apology
    open_dossier("open-late", due_at=datetime(2021, 3, 15, 10)),
    # open, asked twice, due later: overdue by the rule, not past its appointment
    open_dossier("open-twice", due_at=datetime(2021, 3, 30, 9), supplement_count=2),
    # open, due Thursday 18 09:00: within one working day
    open_dossier("due-tomorrow", due_at=datetime(2021, 3, 18, 9)),
    # open, waiting for the applicant's supplement, due Thursday: the clock stops, not "due soon"
    open_dossier("waiting-supplement", status=5, due_at=datetime(2021, 3, 18, 9), supplement_count=1),
    # open, due in a week
    open_dossier("later", due_at=datetime(2021, 3, 24, 9)),
    # online, waiting for acceptance since Tuesday 16 09:00 (9 h) and since Wednesday 17 09:00 (1 h)
    waiting("wait-long", datetime(2021, 3, 16, 9)),
    waiting("wait-short", datetime(2021, 3, 17, 9)),
]


@pytest.fixture
def commune(session: Session) -> Unit:
    province = unit(session, "38", "province", name="Tỉnh Thanh Hóa")
    district = unit(session, "402", "district", province, name="Huyện Như Xuân")
    commune = unit(session, "16174", "township", district, name="Thị trấn Yên Cát")
    assert upsert_records(session, enumerate(RECORDS, start=2)).errors == []
    return commune


def listed(session: Session, commune: Unit, which: WorkList, **options: object) -> list[tuple[str, float]]:
    page = worklist(session, commune, which, NOW, **options)  # type: ignore[arg-type]
    assert page.total == len(page.items)
    return [(item.code, item.hours) for item in page.items]


def test_each_list(session: Session, commune: Unit) -> None:
    assert listed(session, commune, WorkList.LATE_NO_APOLOGY) == [("open-late", 16.0), ("ended-late", 8.0)]
    assert listed(session, commune, WorkList.WAITING_ACCEPTANCE) == [("wait-long", 9.0), ("wait-short", 1.0)]
    assert listed(session, commune, WorkList.SUPPLEMENTED_TWICE) == [
        ("open-twice", 0.0),
        ("ended-twice", 0.0),
    ]
    # Wednesday 10:00 → Thursday 09:00: 7 working hours left
    assert listed(session, commune, WorkList.DUE_SOON) == [("due-tomorrow", 7.0)]
    assert listed(session, commune, WorkList.OVERDUE) == [("open-late", 16.0), ("open-twice", 0.0)]
    assert counts(session, commune, NOW) == {
        WorkList.LATE_NO_APOLOGY: 2, WorkList.WAITING_ACCEPTANCE: 2, WorkList.SUPPLEMENTED_TWICE: 2,
        WorkList.DUE_SOON: 1, WorkList.OVERDUE: 2,
    }  # fmt: skip
    # The figure counts the same dossiers as the list.
    assert unit_figures(session, commune, MARCH, NOW).late_without_apology == 2


def test_paging(session: Session, commune: Unit) -> None:
    page = worklist(session, commune, WorkList.LATE_NO_APOLOGY, NOW, offset=1, limit=1)
    assert (page.total, [item.code for item in page.items]) == (2, ["ended-late"])


def test_a_letter_takes_a_dossier_off_late_without_apology(session: Session, commune: Unit) -> None:
    target = find_dossier(session, "open-late")
    assert target is not None
    record_letter(session, target, letter_data(session, target, date(2021, 3, 19), NOW.date()), "test")
    assert listed(session, commune, WorkList.LATE_NO_APOLOGY) == [("ended-late", 8.0)]
    assert unit_figures(session, commune, MARCH, NOW).late_without_apology == 1
    # A newer export of the dossier (without the letter in it) keeps the letter recorded.
    assert upsert_records(session, enumerate([RECORDS[3]], start=2)).errors == []
    assert unit_figures(session, commune, MARCH, NOW).late_without_apology == 1


def test_a_past_period_is_judged_at_its_end(session: Session, commune: Unit) -> None:
    # Asked on 17 March about the week of 8–12 March: the dossiers received then (all of them were
    # received on Monday 8, but the two waiting since 16 and 17 March), judged on Saturday 13 March.
    week = Period(date(2021, 3, 8), date(2021, 3, 12))
    page = worklist(session, commune, WorkList.OVERDUE, NOW, period=week)
    assert page.judged_at == datetime(2021, 3, 13)
    assert [item.code for item in page.items] == ["open-twice"]  # open-late was due on the 15th
    assert listed(session, commune, WorkList.WAITING_ACCEPTANCE, period=week) == []


def test_spreadsheet_has_every_row(session: Session, commune: Unit) -> None:
    page = worklist(session, commune, WorkList.OVERDUE, NOW)
    book = load_workbook(io.BytesIO(worklist_xlsx(page.items, WorkList.OVERDUE, "Quá hạn")))
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0][0] == "Quá hạn" and rows[1][1] == "Mã hồ sơ"
    assert [(row[1], row[13]) for row in rows[2:]] == [("open-late", 16.0), ("open-twice", 0.0)]
    assert rows[2][10] == datetime(2021, 3, 15, 10)  # the appointment, as a spreadsheet date


def test_dossiers_command(
    session: Session, commune: Unit, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    session.commit()  # the command opens its own connection
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    sheet = tmp_path / "cho-tiep-nhan.xlsx"
    base = ["dossiers", "--unit", "402", "--era", "2008", "--as-of", "2021-03-17T10:00"]
    try:
        assert main([*base, "--list", "waiting-acceptance", "--json", "--xlsx", str(sheet)]) == 0
        data = json.loads(capsys.readouterr().out)
        assert main([*base, "--list", "overdue", "--period", "tháng 3/2021"]) == 0
        text = capsys.readouterr().out
        assert main([*base, "--list", "overdue", "--period", "tuần này"]) == 2
    finally:
        get_settings.cache_clear()
    assert (data["list"], data["count"], data["period"]) == ("waiting-acceptance", 2, None)
    assert [(d["code"], d["hours"]) for d in data["dossiers"]] == [("wait-long", 9.0), ("wait-short", 1.0)]
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert [row[1] for row in rows[2:]] == ["wait-long", "wait-short"]
    assert "Hồ sơ đang quá hạn — Huyện Như Xuân (402)" in text and "open-late" in text and "2 hồ sơ" in text
