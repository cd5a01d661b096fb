"""Bad cells and bad files in a dossier import (issue 13 item 7): each bad row is reported with its
number and reason while the good rows import; an unreadable file is refused whole, with the reason,
and what was imported before stays as it was."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cli import main
from knowledge.compliance.dossiers import DossierFileError, import_dossiers
from knowledge.compliance.models import Dossier
from knowledge.settings import get_settings
from tests.factories import dossier_units, national_row, write_csv


@pytest.fixture
def communes(session: Session) -> None:
    dossier_units(session)


def codes(session: Session) -> list[str]:
    return sorted(session.scalars(select(Dossier.code)))


def reasons(result: object) -> dict[int, str]:
    return {e.row: e.reason for e in result.errors}  # type: ignore[attr-defined]


def test_dates_outside_the_calendar_or_in_the_future_are_row_errors(
    session: Session, communes: None, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "e.csv",
        national_row(MaHoSo="ok-1"),
        national_row(MaHoSo="y1900", NgayNopHoSo="19000101080000"),
        national_row(MaHoSo="y2100", NgayHenTra="21000101080000"),
        national_row(
            MaHoSo="future",
            NgayNopHoSo="20300101080000",
            NgayTiepNhan="",
            NgayHenTra="",
            TrangThaiHoSo="1",
            NgayKetThucXuLy="",
            NgayTra="",
        ),
        national_row(MaHoSo="ok-2", NgayKetThucXuLy="20210311100000"),
    )
    result = import_dossiers(session, path)
    assert codes(session) == ["ok-1", "ok-2"]
    found = reasons(result)
    assert sorted(found) == [3, 4, 5]
    assert found[3].startswith("submitted_at:") and "2013" in found[3]
    assert found[4].startswith("due_at:") and "tương lai" in found[4]
    assert found[5].startswith("submitted_at:") and "tương lai" in found[5]


def to_cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: base letters precomposed, tone marks as combining characters."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tones = "".join(c for c in parts if c in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + tones).encode("cp1258")
    return bytes(out)


VI_HEADER = ["Mã hồ sơ", "Mã thủ tục", "Mã đơn vị", "Kênh nộp", "Trạng thái", "Ngày nộp", "Ngày tiếp nhận",
             "Ngày hẹn trả", "Ngày hoàn thành"]  # fmt: skip
VI_ROW = ["VI-1", "2.000815", "16174", "Trực tiếp", "Đã trả kết quả", "08/03/2021 09:00", "08/03/2021 09:00",
          "10/03/2021 09:00", "09/03/2021 15:00"]  # fmt: skip


@pytest.mark.parametrize("encoding", ["utf-16", "cp1258"])
def test_utf16_and_windows_1258_files_are_read(
    session: Session, communes: None, tmp_path: Path, encoding: str
) -> None:
    text = "\r\n".join(",".join(cells) for cells in (VI_HEADER, VI_ROW)) + "\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("utf-16") if encoding == "utf-16" else to_cp1258(text))
    result = import_dossiers(session, path)
    assert (result.created, result.errors) == (1, [])
    dossier = session.scalars(select(Dossier)).one()
    assert (dossier.code, dossier.channel, dossier.status) == ("VI-1", 1, 10)
    assert any(encoding.replace("cp", "Windows-").upper() in note.upper() for note in result.notes)


def test_a_cell_over_the_csv_limit_is_a_row_error(session: Session, communes: None, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "e.csv",
        national_row(MaHoSo="ok-1"),
        national_row(MaHoSo="huge", MaTTHC="x" * 140_000),
        national_row(MaHoSo="long", MaTTHC="1." + "0" * 40),
        national_row(MaHoSo="ok-2"),
    )
    result = import_dossiers(session, path)
    assert codes(session) == ["ok-1", "ok-2"]
    found = reasons(result)
    assert sorted(found) == [3, 4]
    assert "131072" in found[3].replace(",", "").replace(".", "")
    assert found[4].startswith("procedure_code:")


def test_nul_in_a_cell_is_a_row_error(session: Session, communes: None, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "e.csv", national_row(MaHoSo="ok-1"), national_row(MaHoSo="bad\x00code"))
    result = import_dossiers(session, path)
    session.flush()
    assert codes(session) == ["ok-1"]
    assert [(e.row, e.reason.split(":")[0]) for e in result.errors] == [(3, "code")]
    assert "NUL" in result.errors[0].reason


def test_counts_out_of_the_column_range_are_row_errors(
    session: Session, communes: None, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "e.csv",
        national_row(MaHoSo="many", SoLanBoSung="70000"),
        national_row(MaHoSo="nan", ThoiGianChoBoSung="nan"),
        national_row(MaHoSo="ok"),
    )
    result = import_dossiers(session, path)
    session.flush()
    assert codes(session) == ["ok"]
    assert [e.reason.split(":")[0] for e in result.errors] == ["supplement_count", "supplement_hours"]


def test_a_code_repeated_in_one_file_is_reported(session: Session, communes: None, tmp_path: Path) -> None:
    rows = [national_row(MaHoSo=f"C{n}") for n in range(3)] + [national_row(MaHoSo="C1", MaDonVi="16177")]
    result = import_dossiers(session, write_csv(tmp_path / "e.csv", *rows))
    assert result.created == 3
    assert [(e.row, e.code) for e in result.errors] == [(5, "C1")]
    assert "dòng 3" in result.errors[0].reason


def damaged_xlsx(tmp_path: Path) -> list[Path]:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(VI_HEADER)
    sheet.append(VI_ROW)
    good = tmp_path / "good.xlsx"
    workbook.save(good)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 100)
    return [truncated, garbage]


def test_a_damaged_xlsx_is_refused_with_the_reason(session: Session, communes: None, tmp_path: Path) -> None:
    for path in damaged_xlsx(tmp_path):
        with pytest.raises(DossierFileError, match="XLSX"):
            import_dossiers(session, path)


def test_a_refused_file_leaves_what_was_imported(
    session: Session, communes: None, db_url: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:  # fmt: skip
    session.commit()
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert (
            main(["import-dossiers", str(write_csv(tmp_path / "first.csv", national_row(MaHoSo="A")))]) == 0
        )
        for path in damaged_xlsx(tmp_path):
            assert main(["import-dossiers", str(path)]) == 1
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "Traceback" not in err and "XLSX" in err
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Dossier)) == 1
