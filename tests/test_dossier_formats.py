"""Real exports imported without hand editing (issue 14 §4): the national sync JSON with its lists,
iGate-style JSON, XLSX with title rows and free-text values; the unit from the file, the agency
table or --unit; a field the file lacks gives "không có dữ liệu", never a silent 0%."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli import main
from knowledge.catalogue import apply_catalogue
from knowledge.compliance.agencies import add_agency
from knowledge.compliance.dossiers import DossierFileError, import_dossiers
from knowledge.compliance.figures import Period, procedure_breakdown
from knowledge.compliance.gaps import lacking
from knowledge.compliance.models import Dossier
from knowledge.compliance.ranking import OnlineClass, ranking_xlsx, unit_report
from knowledge.models import Era, Unit
from knowledge.settings import get_settings
from tests.factories import catalogue, dossier_units, national_row, procedure_record, write_csv

AS_OF = datetime(2021, 4, 2, 8, 0)
MARCH = Period(date(2021, 3, 1), date(2021, 3, 31))


@pytest.fixture
def communes(session: Session) -> None:
    dossier_units(session)


def unit_of(session: Session, code: str) -> Unit:
    return session.scalars(select(Unit).where(Unit.code == code, Unit.era == Era.THREE_TIER)).one()


def sync_record(**overrides: Any) -> dict[str, Any]:
    """A dossier as the national sync (DongBoHoSoMC) sends it: lists for supplements, fees, files
    and results; the agency by code, no MaDonVi."""
    record: dict[str, Any] = {
        "MaHoSo": "H38.402-210308-0001",
        "MaTTHC": "1.001193",
        "KenhThucHien": "2",
        "TrangThaiHoSo": "10",
        "NgayNopHoSo": "20210308090000",
        "NgayTiepNhan": "20210308100000",
        "NgayHenTra": "20210310100000",
        "NgayKetThucXuLy": "20210309150000",
        "NgayTra": "20210309160000",
        "MaCoQuan": "H38.402.01",
        "DonViXuLy": "UBND thị trấn Yên Cát",
        "HoSoCoThanhPhanSoHoa": "0",
        "TaiLieuNop": [{"TenTepDinhKem": "to-khai.pdf", "DuocSoHoa": "1", "DuocTaiSuDung": "0"}],
        "DanhSachLePhi": [
            {
                "TenPhiLePhi": "Lệ phí",
                "MaPhiLePhi": "1",
                "HinhThucThu": "1",
                "Gia": "8000",
                "LoaiPhiLePhi": "1",
            }
        ],
        "DuocThanhToanTrucTuyen": "1",
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": [
            {"TenGiayTo": "Giấy khai sinh", "MaGiayToKetQua": "KQ1", "DuongDanTepTinKetQua": "x.pdf"}
        ],
    }
    record.update(overrides)
    return record


def test_national_sync_json(session: Session, communes: None, tmp_path: Path) -> None:
    add_agency(session, "H38.402.01", unit_of(session, "16174"), "test")
    supplements = [
        {"NgayBoSung": "20210309080000", "NgayTiepNhanBoSung": "20210309160000", "NgayHenTraTruoc": "x"},
        {"NgayBoSung": "20210310080000", "NgayTiepNhanBoSung": "20210310090000"},
    ]
    records = [
        sync_record(),
        sync_record(
            MaHoSo="S-2",
            DanhSachHoSoBoSung=supplements,
            DanhSachLePhi=[],
            DanhSachGiayToKetQua=[],
            TaiLieuNop=[{"DuocSoHoa": "0", "DuocTaiSuDung": "1"}],
        ),
        {k: v for k, v in sync_record(MaHoSo="S-3").items() if k != "DanhSachLePhi"},
        sync_record(MaHoSo="S-4", MaCoQuan="", DonViXuLy="Cơ quan lạ"),
    ]
    path = tmp_path / "sync.json"
    path.write_text(json.dumps({"service": "DongBoHoSoMC", "isUpdating": False, "data": records}), "utf-8")
    result = import_dossiers(session, path)
    assert result.layout.startswith("national-json")
    assert [(e.row, e.code) for e in result.errors] == [(4, "S-4")]
    assert "Cơ quan lạ" in result.errors[0].reason
    rows = {d.code: d for d in session.scalars(select(Dossier))}
    first, second, third = rows["H38.402-210308-0001"], rows["S-2"], rows["S-3"]
    assert first.unit.code == "16174"
    assert (first.fee_bearing, first.paid_online, first.digitised, first.e_result, first.reused) == (
        True,
        True,
        True,
        True,
        False,
    )
    assert (second.fee_bearing, second.digitised, second.e_result, second.reused) == (
        False,
        False,
        False,
        True,
    )
    # Two supplement requests: late by the 766 rule; 6.5 + 1 working hours waited.
    assert (second.supplement_count, second.supplement_hours, second.timeliness) == (2, 7.5, 3)
    # The sync format has no service level nor apology flag; S-3 also did not say whether fees were due.
    assert lacking(first.unknown) == ["online_level", "apology"]
    assert lacking(third.unknown) == ["online_level", "fee_bearing", "apology"]
    figures = unit_report(session, unit_of(session, "16174"), MARCH, AS_OF).own.figures
    assert figures.unknown == {"online_level": 3, "fee_bearing": 1, "apology": 3}
    assert figures.no_data("late_without_apology") and figures.online_full_rate is None
    assert figures.online_payment_rate == 100.0  # over the fee-bearing dossiers that said so


def igate_items() -> list[dict[str, Any]]:
    return [
        {
            "dossierId": "1",
            "dossierNo": "G-1",
            "procedureName": "Thủ tục đăng ký khai sinh",
            "sectorName": "Hộ tịch",
            "dossierStatusName": "Đã trả kết quả",
            "acceptedDate": "08/03/2021 09:00:00",
            "appointmentDate": "10/03/2021 09:00:00",
            "lastModifiedDate": "09/03/2021 10:00:00",
            "overDueByUser": "",
        },
        {
            "dossierNo": "G-2",
            "procedureName": "Đăng ký kết hôn",
            "sectorName": "Hộ tịch",
            "dossierStatusName": "Đang xử lý",
            "acceptedDate": "15/03/2021 09:00:00",
            "appointmentDate": "17/03/2021 09:00:00",
            "lastModifiedDate": "15/03/2021 09:00:00",
            "overDueByUser": "",
        },
        {
            "dossierNo": "G-3",
            "procedureName": "Thủ tục đăng ký khai sinh",
            "sectorName": "Hộ tịch",
            "dossierStatusName": "Chờ tiếp nhận",
            "acceptedDate": "",
            "appointmentDate": "",
            "lastModifiedDate": "20/03/2021 14:00:00",
            "overDueByUser": "",
        },
    ]


@pytest.mark.parametrize("wrapped", [True, False])
def test_igate_json_with_unit(session: Session, communes: None, tmp_path: Path, wrapped: bool) -> None:
    apply_catalogue(
        session, catalogue(procedure_record(code="1.001193", name="Thủ tục đăng ký khai sinh")), "t"
    )
    path = tmp_path / "hoso.json"
    items = igate_items()
    path.write_text(json.dumps({"content": items} if wrapped else items), "utf-8")
    with pytest.raises(DossierFileError, match="--unit"):
        import_dossiers(session, path)
    result = import_dossiers(session, path, unit=unit_of(session, "16177"))
    assert (result.created, result.errors, result.unknown_procedures) == (3, [], 1)
    rows = {d.code: d for d in session.scalars(select(Dossier))}
    assert (rows["G-1"].procedure_code, rows["G-1"].status, rows["G-1"].timeliness) == ("1.001193", 10, 1)
    assert rows["G-1"].ended_at == datetime(2021, 3, 9, 10, 0)
    assert (rows["G-2"].procedure_code, rows["G-2"].status, rows["G-2"].ended_at) == ("", 4, None)
    assert (rows["G-3"].status, rows["G-3"].submitted_at) == (1, datetime(2021, 3, 20, 14, 0))
    report = unit_report(session, unit_of(session, "402"), MARCH, AS_OF)
    figures = report.own.figures
    # No channel in the file: no online rate, and the commune is not said to offer no online service.
    assert figures.online_rate is None and figures.no_data("online_rate")
    assert figures.digitised_rate is None and figures.no_data("digitised_rate")
    assert figures.received == 2
    commune = next(c for c in report.children if c.unit.code == "16177")
    assert commune.online_class is OnlineClass.NO_CHANNEL_DATA


def xlsx_with_title_rows(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["SỔ THEO DÕI HỒ SƠ"])
    sheet.append(["Từ ngày 01/03/2021 đến ngày 31/03/2021"])
    sheet.append([])
    sheet.append(
        [
            "STT",
            "Mã hồ sơ",
            "Tên thủ tục",
            "Mã thủ tục",
            "Hình thức nộp",
            "Trạng thái hồ sơ",
            "Ngày nộp",
            "Ngày tiếp nhận",
            "Ngày hẹn trả",
            "Ngày hoàn thành",
        ]
    )
    sheet.append(
        [
            1,
            "X-1",
            "Đăng ký khai sinh",
            "1.001193",
            "Nộp trực tuyến",
            "Hoàn thành",
            "08/03/2021 09:00",
            "08/03/2021 10:00",
            "10/03/2021 10:00",
            "09/03/2021 15:00",
        ]
    )
    sheet.append(
        [
            2,
            "X-2",
            "Đăng ký khai sinh",
            "1.001193",
            "Dịch vụ bưu chính công ích",
            "Đang giải quyết",
            datetime(2021, 3, 15, 9),
            "15/03/2021 09:30",
            "17/03/2021 09:30",
            None,
        ]
    )
    sheet.append(
        [
            3,
            "X-3",
            "Đăng ký khai sinh",
            "1.001193",
            "Trực tiếp",
            "Chưa rõ gì cả",
            "16/03/2021 09:00",
            "16/03/2021 09:00",
            "18/03/2021 09:00",
            None,
        ]
    )
    workbook.save(path)
    return path


def test_xlsx_with_title_rows_and_free_text(session: Session, communes: None, tmp_path: Path) -> None:
    path = xlsx_with_title_rows(tmp_path / "so-theo-doi.xlsx")
    result = import_dossiers(session, path, unit=unit_of(session, "16174"))
    assert result.layout == "xlsx, hồ sơ cột vi-headers"
    assert "hàng tiêu đề là dòng 4" in result.notes
    assert [(e.row, e.code, e.reason.split(":")[0]) for e in result.errors] == [(7, "X-3", "status")]
    rows = {d.code: (d.channel, d.status) for d in session.scalars(select(Dossier))}
    assert rows == {"X-1": (2, 9), "X-2": (3, 4)}
    assert {"digitised", "fee_bearing", "apology"} <= set(result.missing)


def test_a_missing_column_is_no_data_in_the_report_never_zero(
    session: Session,
    communes: None,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    session.commit()
    header = [h for h in national_row() if h not in ("DaSoHoa", "CoKetQuaDienTu")]
    rows = [{k: v for k, v in national_row(MaHoSo=f"M-{n}").items() if k in header} for n in range(3)]
    path = write_csv(tmp_path / "export.csv", *rows, header=header)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["import-dossiers", str(path)]) == 0
        imported = capsys.readouterr().out
        assert (
            main(["report", "--unit", "16174", "--era", "2008", "--from", "2021-03-01", "--to", "2021-03-31"])
            == 0
        )
        report = capsys.readouterr().out
        assert (
            main(
                [
                    "report",
                    "--unit",
                    "16174",
                    "--era",
                    "2008",
                    "--from",
                    "2021-03-01",
                    "--to",
                    "2021-03-31",
                    "--json",
                ]
            )
            == 0
        )
        data = json.loads(capsys.readouterr().out)
    finally:
        get_settings.cache_clear()
    assert "digitised" in imported and "e_result" in imported and "không có dữ liệu" in imported
    assert "Số hóa không có dữ liệu · kết quả điện tử không có dữ liệu" in report
    assert "Cảnh báo: dữ liệu nhập thiếu digitised (3 hồ sơ), e_result (3 hồ sơ)" in report
    assert data["figures"]["digitised_rate"] is None and "digitised_rate" in data["figures"]["no_data"]
    assert data["figures"]["online_rate"] == 100.0


def test_missing_fields_count_in_the_period_of_reception(
    session: Session, communes: None, tmp_path: Path
) -> None:
    # No channel column. R-1 was sent on 31 March and accepted on 1 April: it is April's, and so is
    # its missing channel — March has one dossier without a channel, April one, and neither shows 0%.
    header = [h for h in national_row() if h != "KenhThucHien"]
    rows = [
        national_row(MaHoSo="M-1"),
        national_row(
            MaHoSo="R-1", NgayNopHoSo="20210331160000", NgayTiepNhan="20210401080000",
            NgayHenTra="20210405100000", NgayKetThucXuLy="20210402150000", NgayTra="20210402160000",
        ),
    ]  # fmt: skip
    result = import_dossiers(session, write_csv(tmp_path / "export.csv", *rows, header=header))
    assert (result.created, result.errors, result.missing) == (2, [], ["channel"])
    township = unit_of(session, "16174")
    april = Period(date(2021, 4, 1), date(2021, 4, 30))
    for period in (MARCH, april):
        report = unit_report(session, township, period, datetime(2021, 5, 3, 8, 0))
        figures = report.own.figures
        assert (figures.received, figures.unknown) == (1, {"channel": 1})
        assert figures.online_rate is None and figures.no_data("online_rate")
        assert report.own.online_class is OnlineClass.NO_CHANNEL_DATA
    # The per-procedure sheet says nothing of the online share either: an empty cell, not 0%.
    procedures = procedure_breakdown(session, township, MARCH, datetime(2021, 5, 3, 8, 0))
    book = load_workbook(io.BytesIO(ranking_xlsx([], "Yên Cát, tháng 3/2021", procedures)))
    [line] = list(book["Theo thủ tục"].iter_rows(values_only=True))[2:]
    assert line[:5] == ("1.001193", None, 1, 0, None) and line[7] == 100.0


def test_agency_command_maps_a_name_to_a_unit(
    session: Session,
    communes: None,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    session.commit()
    path = tmp_path / "sync.json"
    path.write_text(json.dumps([sync_record(MaCoQuan="", DonViXuLy="Bộ phận một cửa Như Xuân")]), "utf-8")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["import-dossiers", str(path)]) == 0
        assert "chưa biết cơ quan" in (tmp_path / "sync.json.errors.csv").read_text("utf-8")
        assert main(["agency", "add", "Bộ phận một cửa Như Xuân", "--unit", "16177", "--era", "2008"]) == 0
        assert main(["import-dossiers", str(path)]) == 0
        assert main(["agency", "list"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "Đã nhập 1 hồ sơ: 1 mới" in out and "16177" in out
    session.expire_all()
    assert session.scalars(select(Dossier)).one().unit.code == "16177"
