"""The hand check: dossiers of three communes in January 2026, exported in the national profile as CSV,
imported and reported through the command line (`import-dossiers`, `report --json`) as an outside
checker does; every figure below is worked out by hand from the rules, with the reasoning beside it.

January 2026: 1 and 2 January are days off (Tết Dương lịch), Saturday 10 January is a swapped working
day; working hours 07:30–11:30 and 13:00–17:00. The report is asked on 5 March 2026 about January: a
past period, so dossiers still open are judged at its end (Saturday 31 January, i.e. after the last
working hours of Friday 30 January), not on 5 March.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.cli import main
from knowledge.compliance.profile import load_profile
from knowledge.settings import get_settings
from tests.factories import unit

PROVINCE, A, B, C = "38", "16000", "16001", "16002"
AS_OF = "2026-03-05T10:00"


def row(code: str, unit_code: str, **values: str) -> dict[str, str]:
    """A dossier as the national export has it: in person, full data, unless told otherwise."""
    base = {
        "MaHoSo": code, "MaTTHC": "1.001193", "MaDonVi": unit_code, "KenhThucHien": "1", "MucDo": "",
        "TrangThaiHoSo": "10", "NgayNopHoSo": "", "NgayTiepNhan": "", "NgayHenTra": "",
        "NgayKetThucXuLy": "", "NgayTra": "", "SoLanBoSung": "0", "ThoiGianChoBoSung": "0",
        "CoPhiLePhi": "0", "DuocThanhToanTrucTuyen": "0", "DaSoHoa": "0", "CoKetQuaDienTu": "0",
        "TaiSuDungDuLieu": "0", "CoThuXinLoi": "0", "ChuHoSo": "",
    }  # fmt: skip
    base.update(values)
    if not base["NgayNopHoSo"]:
        base["NgayNopHoSo"] = base["NgayTiepNhan"]
    return base


DOSSIERS = [
    # --- Commune A: in person ---------------------------------------------------------------------
    # A0: received 22/12/2025, due 26/12 (date only), finished 6/1 — carried over into January, ended
    # in it, late.
    row(
        "A0",
        A,
        NgayTiepNhan="2025-12-22 09:00:00",
        NgayHenTra="2025-12-26",
        NgayKetThucXuLy="2026-01-06 10:00:00",
        NgayTra="2026-01-06 11:00:00",
    ),
    # A00: received 30/12/2025, due 9/1, still in progress — carried over, open at the end of January
    # and past its appointment then: overdue.
    row("A00", A, NgayTiepNhan="2025-12-30 09:00:00", NgayHenTra="2026-01-09", TrangThaiHoSo="4"),
    # A1: due 7/1 given as a date only = 17:00 that day; finished at 10:00 on 7/1: on time (not early:
    # it ended on the appointment date).
    row(
        "A1",
        A,
        NgayTiepNhan="2026-01-05 08:00:00",
        NgayHenTra="2026-01-07",
        NgayKetThucXuLy="2026-01-07 10:00:00",
        NgayTra="2026-01-07 15:00:00",
    ),
    # A2: due Monday 12/1, finished on the swapped working Saturday 10/1: early.
    row(
        "A2",
        A,
        NgayTiepNhan="2026-01-08 09:00:00",
        NgayHenTra="2026-01-12",
        NgayKetThucXuLy="2026-01-10 10:00:00",
        NgayTra="2026-01-12 08:00:00",
    ),
    # A3: due Tuesday 13/1 (17:00), finished Wednesday 14/1 09:00: late by 1.5 working hours, and no
    # apology letter.
    row(
        "A3",
        A,
        NgayTiepNhan="2026-01-09 09:00:00",
        NgayHenTra="2026-01-13",
        NgayKetThucXuLy="2026-01-14 09:00:00",
        NgayTra="2026-01-14 10:00:00",
    ),
    # A4: withdrawn by the applicant (7), no end time: ended — neither in progress nor overdue.
    row("A4", A, NgayTiepNhan="2026-01-12 09:00:00", NgayHenTra="2026-01-14", TrangThaiHoSo="7"),
    # A5: stopped (8), no end time: ended likewise.
    row("A5", A, NgayTiepNhan="2026-01-13 09:00:00", NgayHenTra="2026-01-15", TrangThaiHoSo="8"),
    # A6: submitted online on Friday 30/1, received on Monday 2/2: a February dossier, not January's.
    row(
        "A6",
        A,
        KenhThucHien="2",
        MucDo="4",
        NgayNopHoSo="2026-01-30 16:30:00",
        NgayTiepNhan="2026-02-02 08:00:00",
        NgayHenTra="2026-02-04",
        TrangThaiHoSo="4",
    ),
    # A7: in progress, due Thursday 29/1: overdue at the end of January, and no apology letter.
    row("A7", A, NgayTiepNhan="2026-01-26 09:00:00", NgayHenTra="2026-01-29", TrangThaiHoSo="4"),
    # A8: in progress, due 4/2: within its appointment at the end of January (overdue on 5 March, which
    # is not when January is judged).
    row("A8", A, NgayTiepNhan="2026-01-28 09:00:00", NgayHenTra="2026-02-04", TrangThaiHoSo="4"),
    # A9: in progress, asked for supplements twice, due 10/2: overdue by that rule, but not past its
    # appointment — so not "late without an apology letter".
    row(
        "A9",
        A,
        NgayTiepNhan="2026-01-20 09:00:00",
        NgayHenTra="2026-02-10",
        TrangThaiHoSo="4",
        SoLanBoSung="2",
    ),
    # A10: finished before its appointment but asked for supplements twice: late by the rule, not past
    # its appointment.
    row(
        "A10",
        A,
        NgayTiepNhan="2026-01-19 09:00:00",
        NgayHenTra="2026-01-23",
        SoLanBoSung="2",
        NgayKetThucXuLy="2026-01-21 10:00:00",
        NgayTra="2026-01-21 11:00:00",
    ),
    # --- Commune B: online ------------------------------------------------------------------------
    # B1: online, full process, submitted Wednesday 31/12/2025 16:00, accepted Monday 5/1 08:00 — a
    # January dossier; waited 1 h on 31/12 + 0.5 h on 5/1 (1–4 January are days off or weekend):
    # accepted in time. Due 8/1, finished 7/1: early. Fee paid online, digitised, electronic result.
    row(
        "B1",
        B,
        KenhThucHien="2",
        MucDo="4",
        NgayNopHoSo="2025-12-31 16:00:00",
        NgayTiepNhan="2026-01-05 08:00:00",
        NgayHenTra="2026-01-08",
        NgayKetThucXuLy="2026-01-07 14:00:00",
        NgayTra="2026-01-07 15:00:00",
        CoPhiLePhi="1",
        DuocThanhToanTrucTuyen="1",
        DaSoHoa="1",
        CoKetQuaDienTu="1",
    ),
    # B2: online, partial, submitted Friday 9/1 15:00, accepted Monday 12/1 09:00: 2 h on Friday, 8 h
    # on the swapped working Saturday, 1.5 h on Monday = 11.5 h > 6: not accepted in time. Due 14/1,
    # finished 14/1 16:00: on time. Fee paid in person.
    row(
        "B2",
        B,
        KenhThucHien="2",
        MucDo="3",
        NgayNopHoSo="2026-01-09 15:00:00",
        NgayTiepNhan="2026-01-12 09:00:00",
        NgayHenTra="2026-01-14",
        NgayKetThucXuLy="2026-01-14 16:00:00",
        NgayTra="2026-01-15 08:00:00",
        CoPhiLePhi="1",
    ),
    # B3: online, submitted Thursday 29/1 08:00, never accepted: waiting 15.5 working hours at the end
    # of January (not received, so in no rate but this one).
    row("B3", B, KenhThucHien="2", MucDo="4", NgayNopHoSo="2026-01-29 08:00:00", TrangThaiHoSo="1"),
    # B4: in person, due Friday 16/1, finished Monday 19/1 09:00: late by 1.5 h, with an apology letter.
    row(
        "B4",
        B,
        NgayTiepNhan="2026-01-14 09:00:00",
        NgayHenTra="2026-01-16",
        NgayKetThucXuLy="2026-01-19 09:00:00",
        NgayTra="2026-01-19 10:00:00",
        CoThuXinLoi="1",
    ),
    # B5: online, refused at reception: not received.
    row("B5", B, KenhThucHien="2", MucDo="4", NgayNopHoSo="2026-01-06 09:00:00", TrangThaiHoSo="3"),
    # --- Commune C: sent nothing. -----------------------------------------------------------------
]

EXPECTED_A = {
    "received": 9,  # A1–A5, A7–A10 (A6 is February's; A0 and A00 December's)
    "in_progress": 3,  # A7, A8, A9
    "finished": 6,  # A1, A2, A3, A4, A5, A10
    "early": 1,  # A2
    "on_time": 1,  # A1
    "late": 2,  # A3 (1.5 h), A10 (supplements asked twice)
    "ended_unjudged": 2,  # A4 withdrawn, A5 stopped, no end time given
    "overdue_now": 2,  # A7 (past due), A9 (supplements asked twice)
    "on_time_rate": 55.56,  # (9 − 2 late − 2 overdue) ÷ 9
    "online": 0,
    "online_rate": 0.0,
    "unaccepted_online": 0,
    "late_without_apology": 2,  # A3 ended past its appointment, A7 open past it
    "supplement_twice": 2,  # A9, A10
    "fee_bearing": 0,
    "online_payment_rate": None,  # no fee-bearing dossier: nothing to divide by
}
EXPECTED_A_CARRIED = {"count": 2, "finished": 1, "finished_late": 1, "open": 1, "overdue": 1}
EXPECTED_B = {
    "received": 3,  # B1, B2, B4
    "in_progress": 0,
    "finished": 3,
    "early": 1,  # B1
    "on_time": 1,  # B2
    "late": 1,  # B4
    "ended_unjudged": 0,
    "overdue_now": 0,
    "on_time_rate": 66.67,  # (3 − 1) ÷ 3
    "online": 2,  # B1, B2
    "online_full": 1,
    "online_partial": 1,
    "online_rate": 66.67,
    "online_full_rate": 33.33,
    "online_partial_rate": 33.33,
    "unaccepted_online": 2,  # B2 accepted after 11.5 h, B3 still waiting after 15.5 h
    "late_without_apology": 0,  # B4 had its letter
    "supplement_twice": 0,
    "fee_bearing": 2,  # B1, B2
    "paid_online": 1,  # B1
    "online_payment_rate": 50.0,
    "digitised_rate": 33.33,  # B1
    "e_result_rate": 33.33,  # B1
}
EXPECTED_PROVINCE = {
    "received": 12,
    "in_progress": 3,
    "finished": 9,
    "early": 2,
    "on_time": 2,
    "late": 3,
    "overdue_now": 2,
    "on_time_rate": 58.33,  # (12 − 3 − 2) ÷ 12
    "online": 2,
    "online_rate": 16.67,
    "unaccepted_online": 2,
    "late_without_apology": 2,
    "supplement_twice": 2,
    "online_payment_rate": 50.0,
}


def differences(figures: dict[str, Any], expected: dict[str, Any], where: str) -> list[str]:
    return [
        f"{where}.{name}: expected {value!r}, reported {figures.get(name)!r}"
        for name, value in expected.items()
        if figures.get(name) != value
    ]


@pytest.fixture
def cli(session: Session, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    province = unit(session, PROVINCE, "province", era="2025", name="Tỉnh Thanh Hóa")
    for code in (A, B, C):
        unit(session, code, "commune", province, era="2025", name=f"Xã {code}")
    session.commit()  # the commands open their own connection
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def report(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["report", "--era", "2025", "--as-of", AS_OF, "--json", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_the_hand_checked_figures(cli: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export.csv"
    columns = list(load_profile("national").columns.values())
    with export.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(DOSSIERS)
    assert main(["import-dossiers", str(export)]) == 0
    assert f"Đã nhập {len(DOSSIERS)} hồ sơ" in capsys.readouterr().out

    province = report(capsys, "--unit", PROVINCE, "--from", "2026-01-01", "--to", "2026-01-31")
    commune_a = report(capsys, "--unit", A, "--period", "tháng 1/2026")
    children = {child["unit"]: child for child in province["children"]}
    found = [
        *differences(province["figures"], EXPECTED_PROVINCE, "province"),
        *differences(commune_a["figures"], EXPECTED_A, "A"),
        *differences(commune_a["carried_over"], EXPECTED_A_CARRIED, "A.carried_over"),
        *differences(children[B], {k: v for k, v in EXPECTED_B.items() if k in children[B]}, "B"),
        *differences(report(capsys, "--unit", B, "--period", "thang 1/2026")["figures"], EXPECTED_B, "B"),
    ]
    assert found == []
    assert commune_a["judged_at"] == "2026-02-01T00:00"  # the end of January, not 5 March
    # Commune C sent nothing: no data — no rank, no score, no rate, not "no online service".
    assert (children[C]["class"], children[C]["rank"], children[C]["score"]) == ("no_data", None, None)
    assert children[C]["online_rate"] is None and children[C]["on_time_rate"] is None
    assert [children[A]["rank"], children[B]["rank"]] != [None, None]
