"""Spreadsheets officials download (the ranking, the per-procedure breakdown, the work lists): one
titled sheet per table, bold header, openpyxl imported only when a file is made."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

Table = tuple[str, str, Sequence[str], Iterable[Sequence[Any]], dict[str, float]]
"""(sheet name, title above the table, column headers, rows, column widths by letter)."""


def workbook(*tables: Table) -> bytes:
    """A workbook with one sheet per table: the title in A1, the headers in row 2, then the rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, title, headers, rows, widths in tables:
        sheet = book.create_sheet(name)
        sheet.append([title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(list(headers))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(row))
        for letter, width in widths.items():
            sheet.column_dimensions[letter].width = width
        sheet.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
