"""The apology letter for a late dossier ("Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết",
formerly "Phiếu xin lỗi và hẹn lại ngày trả kết quả"), pre-filled from the dossier as a Word document
the official edits and signs, and the record that it was issued.

The form's wording is curated data (``knowledge/data/forms/apology_letter.json``, with its source and
how sure it is): the exact layout of Mẫu số 04 of Thông tư 03/2025/TT-VPCP could not be read, so the
file follows the administrative-document layout and leaves blank what the dossier does not say (the
reason for the delay, the document number, an applicant the export does not name). Nothing is
invented. The rules allow one re-scheduling: a dossier gets one letter, and asking again gives the
same letter back.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.compliance.clock import Calendar, default_calendar
from knowledge.compliance.models import ApologyLetter, Dossier, utcnow_naive
from knowledge.compliance.summary import refresh
from knowledge.models import Procedure, Unit

FORM_PATH = Path(__file__).resolve().parent.parent / "data" / "forms" / "apology_letter.json"
PROPOSED_OFFSETS = (1, 2, 3, 5, 10)  # working days after today offered as new return dates


class LetterError(ValueError):
    """The letter cannot be made as asked (a new date in the past, a second re-scheduling…)."""


@lru_cache(maxsize=1)
def load_form(path: Path = FORM_PATH) -> dict[str, Any]:
    form: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return form


@dataclass(frozen=True)
class LetterData:
    """What the letter says of the dossier; None where the records say nothing."""

    dossier_code: str
    unit_id: int
    agency: str  # the unit that resolves the dossier, as recorded
    applicant: str | None
    procedure_code: str
    procedure_name: str | None
    received_at: datetime
    due_at: datetime | None  # the appointment given on the receipt
    new_due: date | None  # the new return date; None: left blank to fill in
    issued_on: date
    recorded: bool = False  # an issued letter (the one re-scheduling the rules allow)


def find_dossier(session: Session, code: str) -> Dossier | None:
    return session.scalars(select(Dossier).where(Dossier.code == code.strip())).first()


def issued_letter(session: Session, code: str) -> ApologyLetter | None:
    return session.scalars(select(ApologyLetter).where(ApologyLetter.dossier_code == code)).first()


def letter_data(session: Session, dossier: Dossier, new_due: date | None, today: date) -> LetterData:
    """The letter for the dossier: the one already issued (its new date kept), else a new one."""
    issued = issued_letter(session, dossier.code)
    if issued is not None:
        if new_due is not None and issued.new_due is not None and new_due != issued.new_due:
            raise LetterError(
                f"Hồ sơ {dossier.code} đã có văn bản xin lỗi hẹn trả ngày {issued.new_due:%d/%m/%Y};"
                " quy định chỉ cho hẹn lại một lần."
            )
        new_due, today = issued.new_due, issued.issued_at.date()
    elif new_due is not None and new_due <= today:
        raise LetterError(f"Ngày hẹn trả mới ({new_due:%d/%m/%Y}) phải sau hôm nay.")
    procedure = session.scalar(select(Procedure.name).where(Procedure.code == dossier.procedure_code))
    unit = session.get(Unit, dossier.unit_id)
    assert unit is not None
    return LetterData(
        dossier_code=dossier.code,
        unit_id=dossier.unit_id,
        agency=unit.name,
        applicant=dossier.applicant,
        procedure_code=dossier.procedure_code,
        procedure_name=procedure,
        received_at=dossier.accepted_at or dossier.submitted_at,
        due_at=dossier.due_at,
        new_due=new_due,
        issued_on=today,
        recorded=issued is not None,
    )


def record_letter(session: Session, dossier: Dossier, data: LetterData, actor: str) -> ApologyLetter:
    """Record that the letter was issued (once): the dossier leaves the late-without-apology list and
    figures. Refreshes the dossier's summary day; the caller commits."""
    issued = issued_letter(session, dossier.code)
    if issued is not None:
        return issued
    letter = ApologyLetter(
        dossier_code=dossier.code,
        unit_id=dossier.unit_id,
        new_due=data.new_due,
        issued_at=utcnow_naive(),
        issued_by=actor,
    )
    session.add(letter)
    session.flush()
    refresh(session, [dossier.unit_id], dossier.received_day, dossier.received_day)
    return letter


def proposed_dates(today: date, calendar: Calendar | None = None) -> list[date]:
    """New return dates to offer: a few working days after today."""
    calendar = calendar or default_calendar()
    end_of_today = datetime.combine(today, time(23, 59))
    days = {calendar.add_working_hours(end_of_today, 8 * offset).date() for offset in PROPOSED_OFFSETS}
    return sorted(days)


def _words(day: date, form: dict[str, Any]) -> str:
    return str(form["date_words"]).format(day=f"{day.day:02d}", month=f"{day.month:02d}", year=day.year)


def letter_fields(data: LetterData, form: dict[str, Any] | None = None) -> dict[str, str]:
    """The values the form's placeholders take (blank lines where the records are silent)."""
    form = form or load_form()
    blank, short = str(form["blank"]), str(form["short_blank"])
    name, code = data.procedure_name, data.procedure_code
    due, new_due = data.due_at, data.new_due
    return {
        "agency": data.agency,
        "applicant": data.applicant or blank,
        "procedure": f"{name} (mã {code})" if name else f"mã {code}",
        "code": data.dossier_code,
        "received": f"{data.received_at:%d/%m/%Y}",
        "due": f"{due:%H} giờ {due:%M}, {_words(due.date(), form)}" if due else blank,
        "new_due": _words(new_due, form)
        if new_due
        else str(form["date_words"]).format(day=short, month=short, year=short),
        "reason": blank,
        "place": blank,
        "date": _words(data.issued_on, form),
        "blank": str(form["short_blank"]),
    }


def letter_docx(data: LetterData, form: dict[str, Any] | None = None) -> bytes:
    """The letter as an editable Word document (A4, Times New Roman, administrative layout)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    form = form or load_form()
    values = letter_fields(data, form)
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(13)

    def line(cell: Any, text: str, *, bold: bool = False, italic: bool = False, first: bool = False) -> None:
        paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic

    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    left.width, right.width = Cm(6.5), Cm(10)
    line(left, data.agency.upper(), bold=True, first=True)
    line(left, str(form["number"]).format(blank=values["blank"]))
    line(right, str(form["national_name"]), bold=True, first=True)
    line(right, str(form["motto"]), bold=True)
    line(right, str(form["place_date"]).format(**values), italic=True)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_before = Pt(18)
    title.add_run(str(form["title"])).bold = True
    subtitle = document.add_paragraph()
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    subtitle.add_run(str(form["subtitle"])).italic = True
    salutation = document.add_paragraph()
    salutation.alignment = WD_ALIGN_PARAGRAPH.CENTER
    salutation.add_run(str(form["salutation"]).format(**values))
    for text in form["paragraphs"]:
        paragraph = document.add_paragraph(str(text).format(**values))
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Cm(1)

    footer = document.add_table(rows=1, cols=2)
    recipients, signature = footer.rows[0].cells
    for number, text in enumerate(form["recipients"]):
        paragraph = recipients.paragraphs[0] if number == 0 else recipients.add_paragraph()
        run = paragraph.add_run(str(text))
        run.bold, run.italic = number == 0, number == 0
        run.font.size = Pt(11)
    for number, text in enumerate(form["signature"]):
        line(signature, str(text), bold=number == 0, italic=number > 0, first=number == 0)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def letter_filename(code: str) -> str:
    safe = "".join(char if char.isalnum() or char in "-_." else "-" for char in code)
    return f"xin-loi-{safe}.docx"
