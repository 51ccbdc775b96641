"""Reading a ledger spreadsheet in the customary layout: the header row is found by its
column names (a title row or two above it is fine), and cells come back as written, so
that handlers.ledger.excel_import can say, row by row, what is missing."""

from __future__ import annotations

import calendar
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from config.i18n import default_catalog
from handlers.admin_ops import OpError
from handlers.ledger.excel import words

# Words a ledger's header uses for each column, besides the catalogs' own (序号, 整改事项…).
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "编号", "#", "no"),
    "content": ("整改事项", "整改项目", "整改内容", "整改问题", "存在问题", "问题", "item"),
    "goal": ("整改目标", "目标", "目标要求", "goal"),
    "measures": ("整改措施", "措施", "措施办法", "measures"),
    "leader": ("责任领导", "牵头领导", "分管领导", "leader"),
    "person": ("责任人", "具体责任人", "person"),
    "deadline": ("完成时限", "整改时限", "时限", "完成时间", "deadline"),
    "pledge": ("承诺", "公开承诺", "整改承诺", "pledge"),
}
REQUIRED = ("content", "goal", "deadline", "measures", "leader", "person")  # 四明确, in order
HEADER_SEARCH_ROWS = 10
_DAY = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})[-/.]|年(\d{1,2})月)(\d{1,2})日?$")
_MONTH = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})|年(\d{1,2})月(?:底|末|份)?)$")
_BEFORE = re.compile(r"(?:之前|以前|前)$")
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff]) (?=[\u3000-\u9fff])")


@dataclass
class LedgerSheet:
    rows: list[tuple[int, dict[str, Any]]]  # (row number as the spreadsheet shows it, cells)
    labels: dict[str, str]  # each column as the file names it, for messages


def column_names() -> dict[str, set[str]]:
    catalog = default_catalog()
    return {
        key: {squash_label(n) for n in (*names, *catalog.all_languages(f"ledger_files.col.{key}"))}
        for key, names in EXTRA_NAMES.items()
    }


def read_ledger(path: Path, lang: str) -> LedgerSheet:
    """The first sheet's rows as {column: value}; OpError if it is no ledger at all."""
    from openpyxl import load_workbook  # heavy: imported only when used
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise OpError("ledger_files.unreadable", file=path.name, reason=type(exc).__name__) from exc
    names = column_names()
    header: dict[int, str] | None = None
    labels: dict[str, str] = {}
    rows: list[tuple[int, dict[str, Any]]] = []
    filled = 0
    for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
        if all(cell_text(v) == "" for v in values):
            continue
        filled += 1
        if header is not None:
            rows.append((number, {k: values[i] for i, k in header.items() if i < len(values)}))
            continue
        found = {i: k for i, v in enumerate(values) for k in names if squash_label(v) in names[k]}
        if "content" in found.values():
            header = found
            labels = {k: _display(values[i]) for i, k in found.items()}
        elif filled >= HEADER_SEARCH_ROWS:
            break
    book.close()
    if header is None:
        if not filled:
            raise OpError("ledger_files.empty", file=path.name)
        raise OpError("ledger_files.no_header", columns="、".join(EXTRA_NAMES["content"]))
    if missing := [k for k in REQUIRED if k not in labels]:
        t = words(lang)
        columns = "、".join(t(f"ledger_files.col.{k}") for k in missing)
        raise OpError("ledger_files.missing_columns", columns=columns)
    return LedgerSheet(rows, labels)


def squash(text: str) -> str:
    """Text without any spaces, full-width forms folded: rosters pad names (张  三)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _display(value: object) -> str:
    """A header as messages quote it: 责任\n领导 is 责任领导, Responsible  person one space."""
    return _CJK_GAP.sub("", " ".join(str(value).split()))


def squash_label(value: object) -> str:
    return squash(str(value or "")).casefold().strip("*:")


def cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 序号 1 comes back from Excel as 1.0
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return "" if value is None else str(value).strip()


def read_date(raw: object) -> date | None:
    """A date cell, an Excel day number, or 2026-12-31, 2026/12/31, 2026年12月31日, and a
    month meaning its last day: 2026-12, 2026年12月, 2026年12月底 (前)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 20000 < raw < 80000:
        return date(1899, 12, 30) + timedelta(days=int(raw))
    text = _BEFORE.sub("", squash(cell_text(raw)))
    try:
        if match := _DAY.match(text):
            year, month, mday = match.group(1), match.group(2) or match.group(3), match.group(4)
            return date(int(year), int(month), int(mday))
        if match := _MONTH.match(text):
            year, month = int(match.group(1)), int(match.group(2) or match.group(3))
            return date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:
        return None
    return None
