"""Roll-up, ranking and classification of child units; the chart, the spreadsheet, the JSON report."""

from __future__ import annotations

import io
import json
import struct
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from bot.cli import main
from knowledge.compliance.dossiers import DossierRecord, upsert_records
from knowledge.compliance.figures import Figures, Period, procedure_breakdown
from knowledge.compliance.ranking import (
    OnlineClass,
    classify,
    ranking,
    ranking_chart_png,
    ranking_xlsx,
    unit_report,
)
from knowledge.models import Unit
from knowledge.settings import get_settings
from tests.factories import dossier, unit

MARCH = Period(date(2021, 3, 1), date(2021, 3, 31))
NOW = datetime(2021, 3, 31, 10, 0)


def test_classification_rules() -> None:
    assert classify(Figures(received=10, online=3, online_full=1, offers_online=10)) == OnlineClass.FULL
    assert classify(Figures(received=10, online=3, online_partial=3, offers_online=10)) == OnlineClass.PARTIAL
    assert classify(Figures(received=10, offers_online=4)) == OnlineClass.ZERO
    assert classify(Figures(received=10)) == OnlineClass.NONE
    assert classify(Figures()) == OnlineClass.NO_DATA


@pytest.fixture
def district(session: Session) -> Unit:
    province = unit(session, "38", "province", name="Tỉnh Thanh Hóa")
    district = unit(session, "402", "district", province, name="Huyện Như Xuân")
    for code, name in (("1", "Xã Toàn Trình"), ("2", "Xã Một Phần"), ("3", "Xã Không Phần Trăm"),
                       ("4", "Xã Không Trực Tuyến"), ("5", "Xã Chưa Có Hồ Sơ")):  # fmt: skip
        unit(session, code, "commune", district, name=name)
    records: list[DossierRecord] = []
    for i in range(4):
        full = i < 2
        records.append(
            dossier(unit_code="1", channel=2 if full else 1, online_level="toan_trinh", digitised=True)
        )
        records.append(
            dossier(unit_code="2", channel=2 if i == 0 else 1, online_level="mot_phan", digitised=True)
        )
        records.append(dossier(unit_code="3", online_level="mot_phan", digitised=True))
        records.append(dossier(unit_code="4", digitised=i < 2))
    assert upsert_records(session, enumerate(records, start=2)).errors == []
    return district


def test_children_are_ranked_and_classified(session: Session, district: Unit) -> None:
    report = unit_report(session, district, MARCH, NOW)
    assert [(c.rank, c.unit.code, c.online_class.value) for c in report.children] == [
        (1, "1", "full_online"),  # online 50%: 12 × 50/50 = 12 points more than the others
        (2, "2", "partial_online"),  # online 25%: 6 points
        (3, "3", "zero"),
        (4, "4", "none"),  # digitised 50% only: 4 × 50/80 = 2.5 of 4 points
        (None, "5", "no_data"),  # no dossiers at all: no rank, no score, not "no online service"
    ]
    scores = [c.total for c in report.children]
    assert scores[0] - scores[1] == 6 and scores[2] - scores[3] == 1.5 and scores[4] is None
    assert report.own.figures.received == 16
    assert report.own.online_class == OnlineClass.FULL
    by_online = ranking(session, district, MARCH, NOW, key="online_rate")
    assert [c.unit.code for c in by_online] == ["1", "2", "3", "4", "5"]
    by_digitised = ranking(session, district, MARCH, NOW, key="digitised_rate")
    assert [c.unit.code for c in by_digitised] == ["1", "2", "3", "4", "5"]
    assert by_digitised[-1].figures.digitised_rate is None  # nothing received: ranked last


def test_chart_and_spreadsheet(session: Session, district: Unit) -> None:
    standings = unit_report(session, district, MARCH, NOW).children
    png = ranking_chart_png(standings, "Như Xuân, tháng 3/2021", highlight=standings[1].unit)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (800, int(100 * (1.2 + 0.35 * 5)))
    procedures = procedure_breakdown(session, district, MARCH, NOW)
    book = load_workbook(io.BytesIO(ranking_xlsx(standings, "Như Xuân, tháng 3/2021", procedures)))
    sheet = book["Xếp hạng"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Như Xuân, tháng 3/2021"
    assert [row[1] for row in rows[2:]] == ["1", "2", "3", "4", "5"]
    assert rows[2][4] == standings[0].score.total
    # The commune without dossiers: its name, "Chưa có dữ liệu" and 0 received; no rank, score or rate.
    assert rows[6][:7] == (None, "5", "Xã Chưa Có Hồ Sơ", "Chưa có dữ liệu", None, None, 0)
    assert set(rows[6][7:]) == {None}
    by_procedure = list(book["Theo thủ tục"].iter_rows(values_only=True))
    assert by_procedure[1][:5] == (
        "Mã thủ tục",
        "Thủ tục",
        "Hồ sơ tiếp nhận",
        "Trực tuyến",
        "Tỷ lệ trực tuyến (%)",
    )
    # Every dossier is 1.001193: 16 received, 3 online (two in commune 1, one in commune 2).
    assert by_procedure[2][0] == "1.001193" and by_procedure[2][2:5] == (16, 3, 18.75)


def test_report_command_json(
    session: Session, district: Unit, db_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:  # fmt: skip
    session.commit()  # the command opens its own connection
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    sheet, chart = tmp_path / "bao-cao.xlsx", tmp_path / "xu-huong.png"
    try:
        code = main(["report", "--unit", "402", "--era", "2008", "--from", "2021-03-01", "--to", "2021-03-31",
                     "--as-of", "2021-03-31T10:00", "--json", "--xlsx", str(sheet),
                     "--trend", str(chart)])  # fmt: skip
    finally:
        get_settings.cache_clear()
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    book = load_workbook(sheet)
    assert book.sheetnames == ["Xếp hạng", "Theo thủ tục"]
    assert [row[1] for row in book["Xếp hạng"].iter_rows(min_row=3, values_only=True)] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    png = chart.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", png[16:24]) == (600, 300)
    keys = {"unit", "received", "overdue_now", "on_time_rate", "online_rate", "online_payment_rate",
            "digitised_rate", "score", "lost_points"}  # fmt: skip
    assert keys <= set(data) and data["unit"] == "402" and data["received"] == 16
    assert [(c["unit"], c["class"], c["rank"]) for c in data["children"]] == [
        ("1", "full_online", 1), ("2", "partial_online", 2), ("3", "zero", 3), ("4", "none", 4),
        ("5", "no_data", None),
    ]  # fmt: skip
    assert data["children"][4]["score"] is None and data["children"][4]["online_rate"] is None
    assert all(keys <= set(child) for child in data["children"])
    assert data["lost_points"][0]["id"] == "3.3"
