"""Importing one-stop exports: column profiles, CSV and XLSX, row errors, idempotent upserts."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli import main
from knowledge.compliance.dossiers import DossierFileError, import_dossiers
from knowledge.compliance.models import Dossier, DossierSummary
from knowledge.compliance.profile import ProfileError, load_profile
from knowledge.settings import get_settings
from tests.factories import dossier_units, national_row, write_csv


@pytest.fixture
def communes(session: Session) -> None:
    dossier_units(session)


def test_national_profile_maps_every_field(session: Session, communes: None, tmp_path: Path) -> None:
    result = import_dossiers(session, write_csv(tmp_path / "export.csv", national_row()))
    assert (result.created, result.updated, result.errors) == (1, 0, [])
    dossier = session.scalars(select(Dossier)).one()
    assert (dossier.code, dossier.procedure_code, dossier.channel, dossier.online_level, dossier.status) == (
        "H38.402-210308-0001", "1.001193", 2, "toan_trinh", 10,
    )  # fmt: skip
    assert dossier.submitted_at == datetime(2021, 3, 8, 9, 0)
    assert dossier.ended_at == datetime(2021, 3, 9, 15, 0)  # the end of processing, not the return
    assert dossier.accept_hours == 1.0
    flags = (dossier.fee_bearing, dossier.paid_online, dossier.digitised, dossier.e_result, dossier.reused)
    assert flags == (True, True, True, True, False)
    assert dossier.applicant == "Nguyễn Thị Lan"
    assert session.scalar(select(func.sum(DossierSummary.received))) == 1


def test_rejected_rows_are_reported_and_valid_rows_kept(
    session: Session, communes: None, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "export.csv",
        national_row(MaHoSo="ok-1"),
        national_row(MaHoSo="bad-unit", MaDonVi="99999"),
        national_row(MaHoSo="bad-channel", KenhThucHien="7"),
        national_row(MaHoSo="no-due", TrangThaiHoSo="4", NgayHenTra="", NgayKetThucXuLy="", NgayTra=""),
        national_row(MaHoSo="bad-time", NgayNopHoSo="hôm qua"),
        national_row(MaHoSo="", MaTTHC="1.000656"),
        national_row(MaHoSo="bad-flag", DaSoHoa="có lẽ"),
        national_row(MaHoSo="ok-2", TrangThaiHoSo="4", NgayKetThucXuLy="", NgayTra=""),
    )
    result = import_dossiers(session, path)
    assert (result.created, result.updated) == (2, 0)
    assert [(e.row, e.code, e.reason.split(":")[0]) for e in result.errors] == [
        (3, "bad-unit", "unit_code"),
        (4, "bad-channel", "channel"),
        (5, "no-due", "due_at"),
        (6, "bad-time", "submitted_at"),
        (7, None, "code"),
        (8, "bad-flag", "digitised"),
    ]
    errors = tmp_path / "errors.csv"
    result.write_errors(errors)
    assert errors.read_text(encoding="utf-8").splitlines()[1].startswith("3,bad-unit,unit_code:")


def test_reimport_updates_instead_of_duplicating(session: Session, communes: None, tmp_path: Path) -> None:
    first = write_csv(
        tmp_path / "monday.csv",
        national_row(MaHoSo="A", TrangThaiHoSo="4", NgayKetThucXuLy="", NgayTra=""),
        national_row(MaHoSo="B"),
    )
    assert import_dossiers(session, first).created == 2
    # The newer export: A has been finished (late), C is new, and B moved to another commune.
    newer = write_csv(
        tmp_path / "friday.csv",
        national_row(MaHoSo="A", NgayKetThucXuLy="20210311100000", NgayTra="20210311110000"),
        national_row(MaHoSo="B", MaDonVi="16177"),
        national_row(MaHoSo="C"),
    )
    result = import_dossiers(session, newer)
    assert (result.created, result.updated) == (1, 2)
    assert session.scalar(select(func.count()).select_from(Dossier)) == 3
    a = session.scalars(select(Dossier).where(Dossier.code == "A")).one()
    assert (a.status, a.timeliness, a.late_hours) == (10, 3, 8.0)
    per_unit = dict(
        session.execute(
            select(DossierSummary.unit_id, func.sum(DossierSummary.received)).group_by(DossierSummary.unit_id)
        ).all()
    )
    assert sorted(per_unit.values()) == [1, 2]  # the summary followed B to its new commune


def test_the_same_dossier_twice_in_one_file_is_reported_and_the_first_row_kept(
    session: Session, communes: None, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "e.csv", national_row(MaHoSo="A", DaSoHoa="0"), national_row(MaHoSo="A"))
    result = import_dossiers(session, path)
    assert result.created == 1
    assert [(e.row, e.code) for e in result.errors] == [(3, "A")]
    assert "dòng 2" in result.errors[0].reason
    assert session.scalars(select(Dossier.digitised)).one() is False


def test_xlsx_with_vietnamese_headers(session: Session, communes: None, tmp_path: Path) -> None:
    profile = load_profile("vi-headers")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    columns = ["code", "procedure_code", "unit_code", "channel", "status", "submitted_at", "accepted_at",
               "due_at", "finished_at", "supplement_count", "supplement_hours", "apology"]  # fmt: skip
    sheet.append([profile.headers(c)[0] for c in columns])
    sheet.append(["X-1", "2.000815", 16174, "Trực tiếp", "Đã trả kết quả", datetime(2021, 3, 8, 9),
                  "08/03/2021 09:00", "10/03/2021 09:00", "11/03/2021 09:00", 1, 1, "x"])  # fmt: skip
    workbook.save(tmp_path / "export.xlsx")
    result = import_dossiers(session, tmp_path / "export.xlsx", "vi-headers")
    assert result.errors == []
    dossier = session.scalars(select(Dossier)).one()
    # One working day late, but the applicant took one working day (8 h) to supplement: on time.
    assert (dossier.unit.code, dossier.channel, dossier.status, dossier.supplement_hours) == (
        "16174",
        1,
        10,
        8.0,
    )
    assert (dossier.timeliness, dossier.apology) == (2, True)


def test_missing_required_column_rejects_the_file(session: Session, communes: None, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("MaHoSo,MaTTHC\nA,1.001193\n", encoding="utf-8")
    with pytest.raises(DossierFileError, match="MaDonVi"):
        import_dossiers(session, path)


def test_custom_profile_file(session: Session, communes: None, tmp_path: Path) -> None:
    national = load_profile("national")
    columns = {field: f"col_{field}" for field in national.columns}
    profile = tmp_path / "vendor.json"
    profile.write_text(
        json.dumps({"name": "vendor", "columns": columns, "values": {"channel": {"online": 2}}})
    )
    exported = national_row(DuocThanhToanTrucTuyen="1")  # "2" means paid only in the national profile
    row = {columns[f]: exported[header] for f, header in national.columns.items()}
    row[columns["channel"]] = "online"
    path = tmp_path / "vendor.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, list(row))
        writer.writeheader()
        writer.writerow(row)
    assert import_dossiers(session, path, profile).created == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"columns": {"code": "x"}}))
    with pytest.raises(ProfileError):
        load_profile(bad)


def test_import_command_prints_counts_and_writes_row_errors(
    session: Session, communes: None, db_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:  # fmt: skip
    session.commit()  # the command opens its own connection
    path = write_csv(tmp_path / "export.csv", national_row(MaHoSo="A"), national_row(MaHoSo="B", MaDonVi="1"))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["import-dossiers", str(path)]) == 0
        assert main(["import-dossiers", str(path), "--profile", "vi-headers"]) == 1
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    assert "Đã nhập 1 hồ sơ: 1 mới, 0 cập nhật." in out
    assert "1 dòng bị bỏ qua" in out
    errors = (tmp_path / "export.csv.errors.csv").read_text(encoding="utf-8").splitlines()
    assert errors == ["row,code,reason", "3,B,unit_code: không có đơn vị mã 1"]
    assert "Mã hồ sơ" in err  # the wrong profile: the file is refused, naming the missing columns
