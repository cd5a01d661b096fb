"""The posting list as files: a PDF to print for the counter (a QR code beside each procedure), an
XLSX and a self-contained HTML page for the commune's website (a link for each), and the changes
since the last list, as a document for Telegram and the console.

Nothing here knows Telegram: each function takes a ``knowledge.posting.PostingList`` (and its
``PostingDiff``, None for a unit's first list) and returns bytes or a ``Doc``. Times and fees are the
catalogue's text for each way of submitting; where it publishes none the files say so.

The PDF is set in DejaVu Sans, which covers Vietnamese and ships with matplotlib (a dependency), so
every machine that runs the bot has it; the font is embedded in the PDF (subset).
"""

from __future__ import annotations

import functools
import html
import importlib.util
import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import segno
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from bot import texts
from bot.render import Doc, b, code, fill
from knowledge.posting import Change, Item, PostingDiff, PostingList, TakenDown

PDF_TEXT_LIMIT = 220  # characters of a time or fee printed in a cell; the portal has the rest
REPLY_ITEMS = 12  # procedures listed per kind of change in a chat reply; the files list them all


# --------------------------------------------------------------------------- words


def _date(posting: PostingList) -> str:
    return f"{posting.produced_at:%d/%m/%Y}"


def _when(diff: PostingDiff) -> str:
    return f"{diff.previous_at:%H:%M} ngày {diff.previous_at:%d/%m/%Y}"


def roman(number: int) -> str:
    numerals: list[tuple[int, str]] = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C")]
    numerals += [(90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in numerals:
        while number >= value:
            out += letters
            number -= value
    return out


def field_name(field: str | None) -> str:
    return field or texts.POSTING_NO_FIELD


def _case_values(values: tuple[str | None, ...]) -> str | None:
    """A channel's time or fee: its value, or the values of its cases ("30 Ngày hoặc 40 Ngày (tùy
    trường hợp)"); None when it publishes none."""
    if len(values) <= 1:
        return values[0] if values else None
    known = [value for value in values if value]
    return texts.POSTING_CASES.format(values=texts.POSTING_OR.join(known))


def terms_text(item: Item, key: str) -> str:
    """The processing time (``key`` "time") or fee ("fee") as published: one value when every way of
    submitting has the same, else each with its ways ("Trực tiếp: 5 ngày; Trực tuyến: 3 ngày")."""
    if not item.terms:
        return texts.POSTING_SEE_PORTAL
    values = [(t.channel, _case_values(t.times if key == "time" else t.fees)) for t in item.terms]
    distinct = list(dict.fromkeys(value for _, value in values))
    if len(distinct) == 1:
        return distinct[0] or texts.POSTING_UNPUBLISHED
    parts = []
    for value in distinct:
        channels = ", ".join(texts.POSTING_CHANNELS.get(c, c) for c, v in values if v == value)
        parts.append(
            texts.POSTING_CHANNEL_TERMS.format(channels=channels, value=value or texts.POSTING_UNPUBLISHED)
        )
    return "; ".join(parts)


def online_text(item: Item) -> str:
    return texts.POSTING_ONLINE[item.online]


def _value(item: Item, what: str) -> str:
    if what in ("time", "fee"):
        return terms_text(item, what)
    if what == "online":
        return online_text(item)
    if what == "field":
        return field_name(item.field)
    return str(getattr(item, what))


def change_what(change: Change) -> str:
    """Which parts changed: "thời hạn, phí, lệ phí"."""
    return ", ".join(texts.POSTING_FIELD_NAMES[name] for name in change.fields)


def change_details(change: Change) -> list[str]:
    """Each changed part, before → after (a new link only says so: the QR code must be printed again)."""
    details = []
    for name in change.fields:
        if name == "url":
            details.append(texts.POSTING_URL_CHANGED)
            continue
        what = texts.POSTING_FIELD_NAMES[name]
        details.append(
            texts.POSTING_CHANGE_DETAIL.format(
                what=what[:1].upper() + what[1:],
                before=_value(change.before, name),
                after=_value(change.after, name),
            )
        )
    return details


def removal_text(taken: TakenDown) -> str:
    if taken.reason == "abolished" and taken.abolished_by:
        return texts.POSTING_ABOLISHED_BY.format(by=taken.abolished_by)
    return texts.POSTING_REMOVALS[taken.reason]


def changes_doc(posting: PostingList, diff: PostingDiff | None, limit: int | None = REPLY_ITEMS) -> Doc:
    """The list's heading and what changed since the last one, for a chat reply (``limit`` procedures
    per kind of change) or the console (``limit`` None: all of them)."""
    doc = Doc().add(
        fill(
            texts.POSTING_REPLY,
            unit=b(posting.unit_label),
            count=b(str(len(posting.items))),
            date=_date(posting),
        )
    )
    doc.blank()
    if diff is None:
        return doc.add(texts.POSTING_CHANGES_FIRST.format(unit=posting.unit_name))
    if diff.empty:
        return doc.add(texts.POSTING_CHANGES_NONE.format(when=_when(diff)))
    doc.add(b(texts.POSTING_CHANGES_TITLE.format(when=_when(diff))))
    doc.add(
        texts.POSTING_CHANGES_COUNTS.format(
            added=len(diff.added), changed=len(diff.changed), removed=len(diff.removed)
        )
    )
    groups: list[tuple[str, list[tuple[Item, str]]]] = [
        (texts.POSTING_ADDED, [(item, "") for item in diff.added]),
        (texts.POSTING_CHANGED, [(c.after, change_what(c)) for c in diff.changed]),
        (texts.POSTING_REMOVED, [(t.item, removal_text(t)) for t in diff.removed]),
    ]
    for title, entries in groups:
        if not entries:
            continue
        doc.blank().add(b(f"{title} ({len(entries)})"))
        shown = entries if limit is None else entries[:limit]
        for item, what in shown:
            line = fill(texts.POSTING_CHANGE_ITEM, code=code(item.code), name=item.name)
            doc.add(line, fill(texts.POSTING_CHANGE_WHAT, what=what) if what else "")
        if len(entries) > len(shown):
            doc.add(texts.POSTING_CHANGE_MORE.format(count=len(entries) - len(shown)))
    return doc


def _change_rows(diff: PostingDiff) -> list[tuple[str, Item, str]]:
    """(action, procedure, details) for every change: what the office does, one line each."""
    rows = [(texts.POSTING_ACTIONS["added"], item, "") for item in diff.added]
    rows += [(texts.POSTING_ACTIONS["changed"], c.after, "; ".join(change_details(c))) for c in diff.changed]
    rows += [(texts.POSTING_ACTIONS["removed"], t.item, removal_text(t)) for t in diff.removed]
    return rows


def _changes_heading(posting: PostingList, diff: PostingDiff | None) -> str:
    if diff is None:
        return texts.POSTING_CHANGES_FIRST.format(unit=posting.unit_name)
    if diff.empty:
        return texts.POSTING_CHANGES_NONE.format(when=_when(diff))
    return texts.POSTING_CHANGES_TITLE.format(when=_when(diff))


# --------------------------------------------------------------------------- PDF


_FONT = "DejaVuSans"
_FONT_BOLD = "DejaVuSans-Bold"
_FONT_ITALIC = "DejaVuSans-Oblique"
_font_lock = threading.Lock()


def font_dir() -> Path:
    """matplotlib's own copy of the DejaVu fonts (its package is found without importing it)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("matplotlib is not installed: the PDF needs its DejaVu fonts")
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def _register_fonts() -> None:
    with _font_lock:
        if _FONT in pdfmetrics.getRegisteredFontNames():
            return
        folder = font_dir()
        for name in (_FONT, _FONT_BOLD, _FONT_ITALIC):
            pdfmetrics.registerFont(TTFont(name, str(folder / f"{name}.ttf")))
        pdfmetrics.registerFontFamily(_FONT, normal=_FONT, bold=_FONT_BOLD, italic=_FONT_ITALIC)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("cell", fontName=_FONT, fontSize=8, leading=10)
    return {
        "cell": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.6),
        "head": ParagraphStyle("head", parent=base, fontName=_FONT_BOLD, fontSize=7.5, leading=9),
        "title": ParagraphStyle(
            "title", parent=base, fontName=_FONT_BOLD, fontSize=15, leading=19, alignment=1
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=14, alignment=1),
        "date": ParagraphStyle(
            "date", parent=base, fontName=_FONT_ITALIC, fontSize=9, leading=12, alignment=1
        ),
        "how": ParagraphStyle("how", parent=base, fontSize=8.5, leading=11),
        "group": ParagraphStyle(
            "group", parent=base, fontName=_FONT_BOLD, fontSize=10, leading=13, spaceBefore=6, spaceAfter=3
        ),
    }


def _x(text: str) -> str:
    """Text for a Paragraph (its markup is XML-like)."""
    return html.escape(text, quote=False)


def _capped(text: str) -> str:
    if len(text) <= PDF_TEXT_LIMIT:
        return text
    cut = text.rfind(" ", 0, PDF_TEXT_LIMIT)
    return texts.POSTING_TRUNCATED.format(text=text[: cut if cut > 0 else PDF_TEXT_LIMIT].rstrip(" ,;"))


@functools.lru_cache(maxsize=4096)
def qr_path(url: str) -> tuple[int, str]:
    """The QR code of ``url``: its side in modules (with its quiet zone) and the PDF operators that
    fill its dark modules, one rectangle per horizontal run, in module units from the bottom left.

    Encoding (segno picks the most readable of the eight masks, as the standard asks) takes ~10 ms
    a code in pure Python; communes share most of their procedures, so a process keeps the codes.
    """
    qr = segno.make(url, error="m", micro=False)
    border = QRCode.BORDER
    side = int(qr.symbol_size(border=border)[0])
    ops = []
    for row_index, row in enumerate(qr.matrix):
        y = side - border - row_index - 1
        start = None
        for column, dark in enumerate((*row, 0)):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                ops.append(f"{start + border} {y} {column - start} 1 re")
                start = None
    return side, "\n".join(ops)


class QRCode(Flowable):
    """A procedure's link as a QR code, drawn as vector squares (sharp at any print size) and
    clickable in a PDF reader. Modules are at least ``MIN_MODULE`` wide, so a long link (a portal
    search) makes a larger code rather than one too fine to scan."""

    SIDE = 16 * mm
    MIN_MODULE = 0.3 * mm
    BORDER = 2  # modules of quiet zone; the cell's padding adds more

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.modules, self.ops = qr_path(url)
        self.side = max(self.SIDE, self.modules * self.MIN_MODULE)

    def wrap(self, _available_width: float, _available_height: float) -> tuple[float, float]:
        return self.side, self.side

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        scale = self.side / self.modules
        canvas.scale(scale, scale)
        canvas.addLiteral(f"{self.ops}\nf")
        canvas.restoreState()
        canvas.linkURL(self.url, (0, 0, self.side, self.side), relative=1)


_COLUMN_WIDTHS = [9 * mm, 17 * mm, 66 * mm, 27 * mm, 27 * mm, 16 * mm]  # + the QR column


def _numbered_canvas(footer: Callable[[int, int], str]) -> type[Canvas]:
    """A canvas that writes "page x/y" once it knows y."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(_FONT, 7)
                self.setFillColor(colors.grey)
                self.drawCentredString(A4[0] / 2, 8 * mm, footer(self._pageNumber, total))
                super().showPage()
            super().save()

    return NumberedCanvas


def posting_pdf(posting: PostingList, diff: PostingDiff | None) -> bytes:
    """The list to print: a heading with how to use the QR codes, then each field's procedures in a
    table with a QR code of its portal page; the changes since the last list on pages of their own
    at the end (for the office, not the wall)."""
    _register_fonts()
    styles = _styles()
    out = io.BytesIO()
    margin = 12 * mm
    document = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=14 * mm,
        title=f"{texts.POSTING_TITLE} — {posting.unit_label}",
        author=posting.unit_label,
        lang="vi",
        initialFontName=_FONT,  # else every page names Helvetica, a font the PDF does not embed
    )
    frame = Frame(margin, 14 * mm, A4[0] - 2 * margin, A4[1] - margin - 14 * mm, id="body")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    width = frame._width - 2 * frame._leftPadding
    qr_width = width - sum(_COLUMN_WIDTHS)
    story: list[Flowable] = [
        Paragraph(_x(texts.POSTING_TITLE), styles["title"]),
        Paragraph(_x(texts.POSTING_SUBTITLE.format(unit=posting.unit_label)), styles["subtitle"]),
        Paragraph(
            _x(texts.POSTING_DATE.format(date=_date(posting), count=len(posting.items))), styles["date"]
        ),
        Spacer(1, 4 * mm),
    ]
    how = [
        [Paragraph(f"<b>{_x(texts.POSTING_HOW_TITLE)}</b>", styles["how"])],
        *([Paragraph("• " + _x(line), styles["how"])] for line in _how_lines(texts.POSTING_HOW_QR)),
    ]
    box = Table(how, colWidths=[width])
    box.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _FONT, 8),
                ("BOX", (0, 0), (-1, -1), 0.6, colors.HexColor("#1f4e79")),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#eef4fa")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story += [box, Spacer(1, 3 * mm)]
    header = [
        Paragraph(_x(texts.POSTING_COLUMNS[key]), styles["head"])
        for key in ("number", "code", "name", "time", "fee", "online", "qr")
    ]
    table_style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), _FONT, 8),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a8a8a")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde7f0")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (-1, 1), (-1, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ("TOPPADDING", (0, 1), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 3),
        ]
    )
    number = 0
    for index, (field, items) in enumerate(posting.groups(), start=1):
        rows: list[list[Any]] = [header]
        for item in items:
            number += 1
            name = f'<a href="{html.escape(item.url, quote=True)}">{_x(item.name)}</a>'
            rows.append(
                [
                    Paragraph(str(number), styles["cell"]),
                    Paragraph(_x(item.code), styles["small"]),
                    Paragraph(name, styles["cell"]),
                    Paragraph(_x(_capped(terms_text(item, "time"))), styles["small"]),
                    Paragraph(_x(_capped(terms_text(item, "fee"))), styles["small"]),
                    Paragraph(_x(online_text(item)), styles["small"]),
                    QRCode(item.url),
                ]
            )
        title = texts.POSTING_GROUP.format(numeral=roman(index), field=field_name(field), count=len(items))
        table = Table(rows, colWidths=[*_COLUMN_WIDTHS, qr_width], repeatRows=1)
        table.setStyle(table_style)
        story += [CondPageBreak(45 * mm), Paragraph(_x(title), styles["group"]), table]
    story += [PageBreak(), *_pdf_changes(posting, diff, styles, width)]
    footer_unit = posting.unit_label

    def footer(page: int, pages: int) -> str:
        return texts.POSTING_PAGE.format(unit=footer_unit, date=_date(posting), page=page, pages=pages)

    document.build(story, canvasmaker=_numbered_canvas(footer))
    return out.getvalue()


def _how_lines(first: str) -> list[str]:
    return [first, texts.POSTING_HOW_ONLINE, texts.POSTING_HOW_UNKNOWN]


def _pdf_changes(
    posting: PostingList, diff: PostingDiff | None, styles: dict[str, ParagraphStyle], width: float
) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(_x(_changes_heading(posting, diff)), styles["group"]),
        Paragraph(_x(texts.POSTING_CHANGES_OFFICE), styles["date"]),
        Spacer(1, 3 * mm),
    ]
    if diff is None or diff.empty:
        return story
    rows: list[list[Any]] = [
        [Paragraph(_x(title), styles["head"]) for title in texts.POSTING_CHANGES_COLUMNS[:3]]
        + [Paragraph(_x(texts.POSTING_CHANGES_COLUMNS[4]), styles["head"])]
    ]
    for action, item, details in _change_rows(diff):
        rows.append(
            [
                Paragraph(_x(action), styles["small"]),
                Paragraph(_x(item.code), styles["small"]),
                Paragraph(_x(item.name), styles["cell"]),
                Paragraph(_x(_capped(details)), styles["small"]),
            ]
        )
    table = Table(rows, colWidths=[20 * mm, 18 * mm, 70 * mm, width - 108 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _FONT, 8),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#8a8a8a")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde7f0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [*story, table]


# --------------------------------------------------------------------------- XLSX


_HEAD_FILL = PatternFill("solid", fgColor="DDE7F0")
_WRAP = Alignment(wrap_text=True, vertical="top")


def posting_xlsx(posting: PostingList, diff: PostingDiff | None) -> bytes:
    """The list as a workbook: one row per procedure with its field (filterable) and a clickable
    portal link; a second sheet with the changes since the last list."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = texts.POSTING_SHEET_LIST
    sheet.append([texts.POSTING_TITLE])
    sheet.append([texts.POSTING_SUBTITLE.format(unit=posting.unit_label)])
    sheet.append([texts.POSTING_DATE.format(date=_date(posting), count=len(posting.items))])
    for line in _how_lines(texts.POSTING_HOW_LINK):
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].font = Font(size=12)
    keys = ("number", "code", "name", "field", "time", "fee", "online", "url")
    sheet.append([texts.POSTING_COLUMNS[key] for key in keys])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = _WRAP
    for number, item in enumerate(posting.items, start=1):
        sheet.append(
            [
                number,
                item.code,
                item.name,
                field_name(item.field),
                terms_text(item, "time"),
                terms_text(item, "fee"),
                online_text(item),
                item.url,
            ]
        )
        row = sheet.max_row
        sheet.cell(row, 3).hyperlink = item.url
        link = sheet.cell(row, 8)
        link.hyperlink = item.url
        link.style = "Hyperlink"
        for column in (3, 4, 5, 6):
            sheet.cell(row, column).alignment = _WRAP
    for column, width in zip(range(1, 9), (6, 13, 60, 22, 28, 28, 16, 48), strict=True):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    sheet.auto_filter.ref = f"A{header_row}:H{sheet.max_row}"
    sheet.print_title_rows = f"{header_row}:{header_row}"

    changes = book.create_sheet(texts.POSTING_SHEET_CHANGES)
    changes.append([_changes_heading(posting, diff)])
    changes["A1"].font = Font(bold=True, size=12)
    if diff is not None and not diff.empty:
        changes.append(
            [
                texts.POSTING_CHANGES_COUNTS.format(
                    added=len(diff.added), changed=len(diff.changed), removed=len(diff.removed)
                )
            ]
        )
        changes.append(list(texts.POSTING_CHANGES_COLUMNS))
        for cell in changes[changes.max_row]:
            cell.font = Font(bold=True)
            cell.fill = _HEAD_FILL
        for action, item, details in _change_rows(diff):
            changes.append([action, item.code, item.name, field_name(item.field), details, item.url])
            link = changes.cell(changes.max_row, 6)
            link.hyperlink = item.url
            link.style = "Hyperlink"
            for column in (3, 5):
                changes.cell(changes.max_row, column).alignment = _WRAP
    for column, width in zip(range(1, 7), (16, 13, 60, 22, 60, 48), strict=True):
        changes.column_dimensions[get_column_letter(column)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- HTML


_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;line-height:1.45;
color:#1b1b1b;background:#fff}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0;text-align:center}
.sub{text-align:center;margin:.2rem 0}
.date{text-align:center;color:#555;font-style:italic;margin:.2rem 0 1rem}
.how{background:#eef4fa;border:1px solid #1f4e79;border-radius:.4rem;padding:.5rem .9rem;font-size:.95rem}
.how ul{margin:.3rem 0;padding-left:1.2rem}
#q{width:100%;font-size:1rem;padding:.6rem;margin:1rem 0 .5rem;border:1px solid #888;border-radius:.4rem}
h2{font-size:1.1rem;margin:1.2rem 0 .4rem;padding-bottom:.2rem;border-bottom:2px solid #1f4e79}
ol{list-style:none;margin:0;padding:0}
li.tt{padding:.55rem 0;border-bottom:1px solid #ddd}
.n{color:#555;margin-right:.3rem}
a{color:#0b57a4}
.name{font-weight:600}
.meta{font-size:.9rem;color:#333;margin-top:.15rem}
.meta>span{display:inline-block;margin-right:.9rem}
.full{color:#0a6b2d;font-weight:600}
.code{font-family:ui-monospace,Menlo,Consolas,monospace}
#none{display:none;color:#a33}
details{margin-top:2rem;font-size:.95rem}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #bbb;padding:.3rem;vertical-align:top;text-align:left}
@media (max-width:40rem){main{padding:.6rem}.meta>span{display:block}}
"""

# Filters the list as one types: case and diacritics ignored (đ as d), on name and code.
_JS = """
(function(){
var q=document.getElementById('q'),items=[].slice.call(document.querySelectorAll('li.tt')),
sections=[].slice.call(document.querySelectorAll('section.field')),none=document.getElementById('none');
function fold(s){return s.toLowerCase().replace(/đ/g,'d').normalize('NFD').replace(/[\\u0300-\\u036f]/g,'');}
items.forEach(function(li){li.dataset.f=fold(li.textContent);});
q.addEventListener('input',function(){
var words=fold(q.value).split(/\\s+/).filter(Boolean),shown=0;
items.forEach(function(li){var ok=words.every(function(w){return li.dataset.f.indexOf(w)>=0;});
li.hidden=!ok;if(ok)shown++;});
sections.forEach(function(s){s.hidden=!s.querySelector('li.tt:not([hidden])');});
none.style.display=shown?'none':'block';});
})();
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def posting_html(posting: PostingList, diff: PostingDiff | None) -> bytes:
    """One self-contained page (inline style and script, no external asset) to put on the commune's
    website as it is: every procedure a link to its portal page, a search box, readable on a phone."""
    title = f"{texts.POSTING_TITLE} — {posting.unit_label}"
    out = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{_h(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{_h(texts.POSTING_TITLE)}</h1>",
        f'<p class="sub">{_h(texts.POSTING_SUBTITLE.format(unit=posting.unit_label))}</p>',
        f'<p class="date">{_h(texts.POSTING_DATE.format(date=_date(posting), count=len(posting.items)))}</p>',
        f'<div class="how"><strong>{_h(texts.POSTING_HOW_TITLE)}</strong><ul>',
        *(f"<li>{_h(line)}</li>" for line in _how_lines(texts.POSTING_HOW_LINK)),
        "</ul></div>",
        f'<input id="q" type="search" placeholder="{_h(texts.POSTING_SEARCH)}" '
        f'aria-label="{_h(texts.POSTING_SEARCH)}">',
        f'<p id="none">{_h(texts.POSTING_SEARCH_NONE)}</p>',
    ]
    columns = texts.POSTING_COLUMNS
    number = 0
    for index, (field, items) in enumerate(posting.groups(), start=1):
        heading = texts.POSTING_GROUP.format(numeral=roman(index), field=field_name(field), count=len(items))
        out.append(f'<section class="field"><h2>{_h(heading)}</h2><ol>')
        for item in items:
            number += 1
            online = _h(online_text(item))
            if item.online == "toan_trinh":
                online = f'<b class="full">{online}</b>'
            out.append(
                f'<li class="tt"><span class="n">{number}.</span>'
                f'<a class="name" href="{_h(item.url)}" target="_blank" rel="noopener">{_h(item.name)}</a>'
                f'<div class="meta"><span>{_h(columns["code"])}: '
                f'<span class="code">{_h(item.code)}</span></span>'
                f"<span>{_h(columns['time'])}: {_h(terms_text(item, 'time'))}</span>"
                f"<span>{_h(columns['fee'])}: {_h(terms_text(item, 'fee'))}</span>"
                f"<span>{_h(columns['online'])}: {online}</span></div></li>"
            )
        out.append("</ol></section>")
    out += _html_changes(posting, diff)
    out += [f"</main><script>{_JS}</script></body></html>"]
    return "\n".join(out).encode("utf-8")


def _html_changes(posting: PostingList, diff: PostingDiff | None) -> list[str]:
    out = [f"<details><summary>{_h(_changes_heading(posting, diff))}</summary>"]
    if diff is not None and not diff.empty:
        out.append("<table><thead><tr>")
        out += [f"<th>{_h(title)}</th>" for title in texts.POSTING_CHANGES_COLUMNS[:3]]
        out.append(f"<th>{_h(texts.POSTING_CHANGES_COLUMNS[4])}</th></tr></thead><tbody>")
        for action, item, details in _change_rows(diff):
            out.append(
                f'<tr><td>{_h(action)}</td><td class="code">{_h(item.code)}</td>'
                f'<td><a href="{_h(item.url)}" target="_blank" rel="noopener">{_h(item.name)}</a></td>'
                f"<td>{_h(details)}</td></tr>"
            )
        out.append("</tbody></table>")
    out.append("</details>")
    return out


# --------------------------------------------------------------------------- any of them


RENDERERS: dict[str, Callable[[PostingList, PostingDiff | None], bytes]] = {
    "pdf": posting_pdf,
    "xlsx": posting_xlsx,
    "html": posting_html,
}


def file_format(path: Path | str) -> str | None:
    """The format a file name asks for ("pdf", "xlsx" or "html"), else None."""
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = "html" if suffix == "htm" else suffix
    return suffix if suffix in RENDERERS else None


def render(posting: PostingList, diff: PostingDiff | None, fmt: str) -> bytes:
    return RENDERERS[fmt](posting, diff)


def file_name(posting: PostingList, fmt: str) -> str:
    return f"niem-yet-{posting.unit_code}-{posting.produced_at:%Y%m%d}.{fmt}"
