"""Spreadsheets styled for printing, as the campaign office hands them round: a title row,
a bold bordered header repeated on every page, wrapped cells, landscape A4 fitted to the
page width. Shared by the ledger export and the monthly bulletin's summary sheet.
openpyxl is heavy, so it is imported only inside these functions."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

SHEET_TITLE_LIMIT = 31
_SHEET_UNSAFE = re.compile(r"[\[\]:*?/\\]")


def save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_title(name: str, used: set[str]) -> str:
    """A name as a unique sheet title: at most 31 characters, none of []:*?/\\."""
    base = _SHEET_UNSAFE.sub("_", name).strip("'") or "_"
    title, counter = base[:SHEET_TITLE_LIMIT], 1
    while title.casefold() in used:
        counter += 1
        suffix = f"({counter})"
        title = base[: SHEET_TITLE_LIMIT - len(suffix)] + suffix
    used.add(title.casefold())
    return title


def style_table(
    sheet: Worksheet,
    widths: tuple[int, ...],
    footer: str,
    *,
    centered: frozenset[int] = frozenset(),
    indents: dict[int, int] | None = None,
    number_formats: dict[int, str] | None = None,
) -> None:
    """Row 1 is the title, merged across the table; row 2 the header; the rest the body.

    Columns are numbered from 1: ``centered`` are centred, ``number_formats`` give a
    column's format (dates), and ``indents`` maps a body row to the indent of its second
    column (a sub-item under its parent).
    """
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    width = len(widths)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[1].height = 36
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    indents, number_formats = indents or {}, number_formats or {}
    for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row, max_col=width):
        for cell in row:
            column = cell.column
            if cell.data_type == "f":  # text that merely starts with "=" stays text
                cell.data_type = "s"
            cell.border = border
            cell.alignment = Alignment(
                horizontal="center" if column in centered or cell.row == 2 else "left",
                vertical="center",
                wrap_text=True,
                indent=indents.get(cell.row, 0) if column == 2 else 0,
            )
            if cell.row > 2 and column in number_formats:
                cell.number_format = number_formats[column]
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
    for index, size in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = size
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    setup = sheet.page_setup
    setup.orientation, setup.paperSize = "landscape", sheet.PAPERSIZE_A4
    setup.fitToWidth, setup.fitToHeight = 1, 0  # one page wide, as many pages long as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.oddFooter.center.text = footer


def add_summary_sheet(
    book: Workbook,
    name: str,
    title: str,
    header: tuple[str, str],
    rows: list[tuple[str, object]],
    footer: str,
    picture: bytes | None = None,
) -> None:
    """A first sheet of label / value rows, styled like the others, with a picture (a
    chart's PNG) beside the table."""
    used = {sheet.title.casefold() for sheet in book.worksheets}
    sheet = book.create_sheet(sheet_title(name, used), 0)
    book.active = 0
    for row in ([title], header, *rows):
        sheet.append(list(row))
    style_table(sheet, (36, 16), footer, centered=frozenset({2}))
    if picture is None:
        return
    try:
        from openpyxl.drawing.image import Image  # needs Pillow, which matplotlib brings
    except ImportError:  # pragma: no cover
        return
    image = Image(io.BytesIO(picture))
    image.width, image.height = 640, round(image.height * 640 / image.width)
    sheet.add_image(image, "D2")
