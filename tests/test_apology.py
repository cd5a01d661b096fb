"""The apology letter for a late dossier: pre-filled from the dossier as a Word document (read back
here), new return dates to offer, the one re-scheduling the rules allow, and `tthc-bot apology`."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli import main
from knowledge.catalogue import apply_catalogue
from knowledge.compliance.apology import (
    LetterError,
    find_dossier,
    letter_data,
    letter_docx,
    load_form,
    proposed_dates,
    record_letter,
)
from knowledge.compliance.dossiers import upsert_records
from knowledge.compliance.models import ApologyLetter, Dossier
from knowledge.settings import get_settings
from tests.factories import catalogue, dossier, procedure_record, unit

TODAY = date(2021, 3, 12)  # a Friday


@pytest.fixture
def late(session: Session) -> Dossier:
    apply_catalogue(
        session, catalogue(procedure_record(code="1.001193", name="Thủ tục đăng ký khai sinh")), "t"
    )
    province = unit(session, "38", "province", name="Tỉnh Thanh Hóa")
    district = unit(session, "402", "district", province, name="Huyện Như Xuân")
    unit(session, "16195", "commune", district, name="Xã Cát Vân")
    record = dossier(
        code="H38.402-210308-0001", unit_code="16195", status=4, finished_at=None, returned_at=None,
        applicant="Nguyễn Thị Lan",
    )  # fmt: skip
    assert upsert_records(session, enumerate([record], start=2)).errors == []
    found = find_dossier(session, "H38.402-210308-0001")
    assert found is not None
    return found


def text_of(content: bytes) -> tuple[str, str]:
    """The document's body paragraphs and its tables' text."""
    document = Document(io.BytesIO(content))
    body = "\n".join(p.text for p in document.paragraphs)
    tables = "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    return body, tables


def test_the_letter_is_filled_from_the_dossier(session: Session, late: Dossier) -> None:
    data = letter_data(session, late, date(2021, 3, 16), TODAY)
    body, tables = text_of(letter_docx(data))
    form = load_form()
    assert form["title"] in body and "Kính gửi: Nguyễn Thị Lan" in body
    assert "Ngày 08/03/2021, Xã Cát Vân tiếp nhận hồ sơ của Nguyễn Thị Lan" in body
    assert "Thủ tục đăng ký khai sinh (mã 1.001193)" in body and "Mã hồ sơ: H38.402-210308-0001." in body
    assert "09 giờ 00, ngày 10 tháng 03 năm 2021" in body  # the appointment on the receipt
    assert "hẹn trả kết quả vào ngày 16 tháng 03 năm 2021" in body
    assert f"Lý do: {form['blank']}" in body  # the reason is the official's to write, never invented
    assert "XÃ CÁT VÂN" in tables and form["national_name"] in tables
    assert "ngày 12 tháng 03 năm 2021" in tables  # issued today


def test_what_the_records_do_not_say_stays_blank(session: Session, late: Dossier) -> None:
    late.applicant = None
    body, _tables = text_of(letter_docx(letter_data(session, late, None, TODAY)))
    blank, short = load_form()["blank"], load_form()["short_blank"]
    assert f"Kính gửi: {blank}" in body and f"ngày {short} tháng {short} năm {short}" in body


def test_new_dates_are_working_days() -> None:
    # Friday 12 March 2021: Monday 15, Tuesday 16, Wednesday 17, Friday 19, Friday 26 (+1, 2, 3, 5, 10).
    assert proposed_dates(TODAY) == [date(2021, 3, d) for d in (15, 16, 17, 19, 26)]
    # Around the 2026 Tết break (16–20 February): after Friday 13 February comes Monday 23.
    assert proposed_dates(date(2026, 2, 13))[0] == date(2026, 2, 23)


def test_one_rescheduling_only(session: Session, late: Dossier) -> None:
    with pytest.raises(LetterError):
        letter_data(session, late, TODAY, TODAY)  # the new date must come after today
    data = letter_data(session, late, date(2021, 3, 16), TODAY)
    first = record_letter(session, late, data, "telegram:7")
    assert record_letter(session, late, data, "telegram:8") is first
    again = letter_data(session, late, None, date(2021, 3, 15))
    assert (again.recorded, again.new_due) == (True, date(2021, 3, 16))
    with pytest.raises(LetterError, match="một lần"):
        letter_data(session, late, date(2021, 3, 19), date(2021, 3, 15))
    assert session.scalars(select(ApologyLetter)).one().issued_by == "telegram:7"


def test_apology_command(
    session: Session, late: Dossier, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    session.commit()  # the command opens its own connection
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    # the command reads the clock from knowledge.compliance.profile when it runs
    monkeypatch.setattr("knowledge.compliance.profile.local_now", lambda: datetime(2021, 3, 12, 9, 0))
    get_settings.cache_clear()
    draft, letter = tmp_path / "nhap.docx", tmp_path / "xin-loi.docx"
    code = "H38.402-210308-0001"
    try:
        assert main(["apology", code, "--out", str(draft), "--draft"]) == 0
        assert session.scalars(select(ApologyLetter)).first() is None  # a draft records nothing
        assert main(["apology", code, "--out", str(letter), "--new-date", "17/03/2021"]) == 0
        assert main(["apology", code, "--out", str(letter), "--new-date", "2021-03-19"]) == 1
        assert main(["apology", "KHONG-CO", "--out", str(letter)]) == 1
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    assert "Bản nháp" in out and "Đã ghi nhận" in out and "một lần" in err and "KHONG-CO" in err
    body, _tables = text_of(letter.read_bytes())
    assert "ngày 17 tháng 03 năm 2021" in body and code in body
    session.expire_all()
    assert session.scalars(select(ApologyLetter)).one().issued_by == "cli"
