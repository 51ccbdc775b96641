"""The rectification ledger (整改台帐) as a spreadsheet for printing and as CSV.

The customary layout: 序号, 整改事项, 整改目标, 整改措施, 责任领导, 责任人, 完成时限, 进展情况,
完成情况; one sheet per organization, sub-items under their parent numbered 1.1, 1.2.
openpyxl is heavy, so it is imported only when a workbook is built.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from config.i18n import default_catalog
from handlers.ledger.common import overdue
from handlers.ledger.sheets import save, sheet_title, style_table
from storage.ledger_models import ItemStatus, ProgressReport, RectificationItem
from storage.models import Member, Organization
from storage.repos import Repos

if TYPE_CHECKING:
    from openpyxl import Workbook

COLUMNS = (
    "seq", "content", "goal", "measures", "leader", "person", "deadline", "progress", "outcome",
)  # fmt: skip
WIDTHS = (7, 28, 26, 38, 10, 10, 14, 32, 16)
CENTERED = frozenset(
    COLUMNS.index(c) + 1 for c in ("seq", "leader", "person", "deadline", "outcome")
)
DEADLINE_COLUMN = COLUMNS.index("deadline") + 1
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters no .xlsx may hold
Words = Callable[..., str]


@dataclass(frozen=True)
class Line:
    """One row of the ledger: an item with its number (1, 1.1) and words for its state."""

    number: str
    depth: int
    item: RectificationItem
    leader: str
    person: str
    progress: str
    outcome: str


@dataclass(frozen=True)
class OrgLedger:
    org: Organization
    lines: list[Line]


def words(lang: str) -> Words:
    catalog = default_catalog()
    return lambda key, /, **params: catalog.text(lang, key, **params)


def day_words(t: Words, when: date) -> str:
    return t("ledger_files.date", y=when.year, m=when.month, d=when.day)


async def ledger_lines(
    db: Repos, org_ids: list[int], lang: str, zone: ZoneInfo, *, today: date | None = None
) -> list[OrgLedger]:
    """Each organization that has items (or the first one, if none has), in order."""
    today = today or datetime.now(zone).date()
    t = words(lang)
    items = await db.ledger.items(org_ids)
    ids = {i.id for i in items}
    names = await _names(db, {i.leader_id for i in items} | {i.person_id for i in items})
    latest = await _latest_text(db, [i.id for i in items if i.id is not None])
    below: dict[int | None, list[RectificationItem]] = defaultdict(list)
    for item in items:
        below[item.parent_id if item.parent_id in ids else None].append(item)

    def walk(parent: int | None, org_id: int, prefix: str, depth: int, out: list[Line]) -> None:
        mine = [i for i in below[parent] if i.org_id == org_id or parent is not None]
        for index, item in enumerate(mine, start=1):
            number = f"{prefix}{index}"
            text = latest.get(item.id or 0, "")
            out.append(
                Line(
                    number, depth, item, names.get(item.leader_id, ""),
                    names.get(item.person_id, ""), _progress(t, item, text),
                    _outcome(t, item, today),
                )
            )  # fmt: skip
            if depth < 8:  # a parent loop in bad data must not recurse forever
                walk(item.id, org_id, f"{number}.", depth + 1, out)

    ledgers: list[OrgLedger] = []
    for org_id in org_ids:
        org = await db.orgs.get(org_id)
        if org is not None:
            lines: list[Line] = []
            walk(None, org_id, "", 0, lines)
            ledgers.append(OrgLedger(org, lines))
    filled = [ledger for ledger in ledgers if ledger.lines]
    return filled or ledgers[:1]


async def _names(db: Repos, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await db.session.exec(select(Member).where(col(Member.id).in_(ids)))
    return {m.id: m.name for m in rows.all() if m.id is not None}


async def _latest_text(db: Repos, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = (
        select(ProgressReport)
        .where(col(ProgressReport.item_id).in_(ids), ProgressReport.text != "")
        .order_by(col(ProgressReport.id))
    )
    return {r.item_id: r.text for r in (await db.session.exec(query)).all()}


def _progress(t: Words, item: RectificationItem, text: str) -> str:
    if text:
        return t("ledger_files.progress", percent=item.percent, text=text)
    if item.percent or item.status != ItemStatus.not_started:
        return t("ledger_files.progress_bare", percent=item.percent)
    return t("ledger_files.progress_none")


def _outcome(t: Words, item: RectificationItem, today: date) -> str:
    if item.status == ItemStatus.done and item.finished_on is not None:
        return t("ledger_files.done_on", date=day_words(t, item.finished_on))
    if overdue(item, today):
        return t("ledger_files.status.overdue")
    return t(f"ledger_files.status.{item.status}")


def cells(line: Line) -> list[Any]:
    item = line.item
    values = [
        line.number, item.content, item.goal, item.measures, line.leader, line.person,
        item.deadline, line.progress, line.outcome,
    ]  # fmt: skip
    return [_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in values]


# The workbook


async def ledger_book(
    db: Repos, org_ids: list[int], lang: str, zone: ZoneInfo, *, today: date | None = None
) -> Workbook:
    return build_book(await ledger_lines(db, org_ids, lang, zone, today=today), lang)


async def ledger_workbook(
    db: Repos, org_ids: list[int], lang: str, zone: ZoneInfo, *, today: date | None = None
) -> bytes:
    return save(await ledger_book(db, org_ids, lang, zone, today=today))


def build_book(ledgers: list[OrgLedger], lang: str) -> Workbook:
    from openpyxl import Workbook  # heavy: imported only when used

    t = words(lang)
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for ledger in ledgers:
        sheet = book.create_sheet(sheet_title(ledger.org.name, used))
        sheet.append([t("ledger_files.title", org=ledger.org.name)])
        sheet.append([t(f"ledger_files.col.{c}") for c in COLUMNS])
        for line in ledger.lines:
            sheet.append(cells(line))
        style_table(
            sheet,
            WIDTHS,
            t("ledger_files.footer"),
            centered=CENTERED,
            indents={row: line.depth for row, line in enumerate(ledger.lines, start=3)},
            number_formats={DEADLINE_COLUMN: t("ledger_files.date_format")},
        )
    return book


# CSV


async def ledger_csv(
    db: Repos, org_ids: list[int], lang: str, zone: ZoneInfo, *, today: date | None = None
) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese correctly; with several
    organizations, a first column names each row's organization."""
    t = words(lang)
    ledgers = await ledger_lines(db, org_ids, lang, zone, today=today)
    several = len(org_ids) > 1
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = [t(f"ledger_files.col.{c}") for c in COLUMNS]
    writer.writerow([t("ledger_files.col.org"), *header] if several else header)
    for ledger in ledgers:
        for line in ledger.lines:
            row = [_csv_cell(c) for c in cells(line)]
            writer.writerow([_csv_cell(ledger.org.name), *row] if several else row)
    return out.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # A cell starting like a formula would run as one in a spreadsheet: keep it text.
    return f"'{text}" if text.startswith(_FORMULA_START) else text
