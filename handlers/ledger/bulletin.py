"""The monthly bulletin (月通报): where the rectification ledger of an organization and
everything below it stands (handlers.ledger.bulletin_figures), as a short text, a chart and
a spreadsheet (the ledger plus a summary sheet); each compiled bulletin's text is kept.

Drafting reads storage; rendering (matplotlib, openpyxl) needs none and is slow, so that
callers can run it on a thread outside any transaction; storing keeps the text.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from handlers.admin_ops import OpError
from handlers.ledger.bulletin_figures import STATUSES, Figures, gather
from handlers.ledger.chart import Panel, render_chart
from handlers.ledger.excel import (
    Line,
    OrgLedger,
    Words,
    build_book,
    day_words,
    ledger_lines,
    words,
)  # fmt: skip
from handlers.ledger.sheets import add_summary_sheet, save
from storage.ledger_models import Bulletin
from storage.repos import Repos

COLORS = ("#43a047", "#26a69a", "#1e88e5", "#9e9e9e", "#fb8c00", "#e53935")
LIST_LIMIT = 10  # longer lists end with "and N more, see the spreadsheet"
CONTENT_LIMIT = 30


@dataclass(frozen=True)
class BulletinParts:
    text: str
    chart_png: bytes
    workbook: bytes
    month: str = ""  # "2026-11"
    bulletin_id: int | None = None


def compose(t: Words, org: str, figures: Figures, today: date) -> str:
    prefix = "ledger_files.bulletin."
    out = [t(prefix + "title", org=org, y=today.year, m=today.month)]
    if figures.total:
        parts = t(prefix + "sep").join(
            t(prefix + "part", status=t(f"ledger_files.status.{s}"), count=figures.by_status[s])
            for s in STATUSES
            if figures.by_status[s]
        )
        out.append(
            t(prefix + "as_of", m=today.month, d=today.day, total=figures.total, parts=parts)
        )
        out.append(t(prefix + "done_month", count=figures.done_month))
    else:
        out.append(t(prefix + "none"))
    for head, lines in (("overdue_head", figures.overdue), ("risk_head", figures.at_risk)):
        if lines:
            out.append(t(prefix + head, count=len(lines)))
            out += [_item(t, line) for line in lines[:LIST_LIMIT]]
            if len(lines) > LIST_LIMIT:
                out.append(t(prefix + "more", count=len(lines) - LIST_LIMIT))
    received, answered, late = figures.opinions
    out.append(t(prefix + "opinions", received=received, answered=answered, overdue=late))
    if (study := figures.study) is not None:
        out.append(
            t(
                prefix + "study", sessions=study.sessions, expected=study.expected,
                present=study.present, rate=study.rate, leave=study.leave,
            )
        )  # fmt: skip
    out.append(t(prefix + "closing"))
    return "\n".join(out)


def _item(t: Words, line: Line) -> str:
    content = line.item.content
    if len(content) > CONTENT_LIMIT:
        content = content[: CONTENT_LIMIT - 1] + "…"
    return t(
        "ledger_files.bulletin.item", seq=line.number, content=content, person=line.person,
        deadline=day_words(t, line.item.deadline), percent=line.item.percent,
    )  # fmt: skip


def panels(t: Words, figures: Figures) -> list[Panel]:
    prefix = "ledger_files.bulletin."
    found = [
        Panel(
            t(prefix + "chart_items"),
            tuple(t(f"ledger_files.status.{s}") for s in STATUSES),
            tuple(figures.by_status[s] for s in STATUSES),
            COLORS,
        ),
        Panel(
            t(prefix + "chart_opinions"),
            tuple(t(prefix + k) for k in ("received", "answered", "late")),
            figures.opinions,
            (COLORS[2], COLORS[0], COLORS[5]),
        ),
    ]
    if (study := figures.study) is not None:
        absent = max(study.expected - study.present - study.leave, 0)
        found.append(
            Panel(
                t(prefix + "chart_study"),
                tuple(t(prefix + k) for k in ("present", "leave", "absent")),
                (study.present, study.leave, absent),
                (COLORS[0], COLORS[4], COLORS[3]),
            )
        )
    return found


def summary_rows(t: Words, figures: Figures) -> list[tuple[str, object]]:
    prefix = "ledger_files.bulletin."
    rows: list[tuple[str, object]] = [(t(prefix + "total"), figures.total)]
    rows += [(t(f"ledger_files.status.{s}"), figures.by_status[s]) for s in STATUSES]
    rows += [
        (t(prefix + "done_month_label"), figures.done_month),
        (t(prefix + "overdue_label"), len(figures.overdue)),
        (t(prefix + "risk_label"), len(figures.at_risk)),
        (t(prefix + "opinions_label"), " / ".join(map(str, figures.opinions))),
    ]
    if (s := figures.study) is not None:
        counts = (s.sessions, s.expected, s.present, s.leave)
        rows.append((t(prefix + "study_label"), " / ".join(map(str, counts))))
    return rows


@dataclass(frozen=True)
class Draft:
    """What a bulletin says, read from storage; rendering it needs no database."""

    org_id: int
    org_name: str
    today: date
    lang: str
    ledgers: list[OrgLedger]
    figures: Figures


async def draft_bulletin(db: Repos, org_id: int, now: datetime, zone: ZoneInfo, lang: str) -> Draft:
    org = await db.orgs.get(org_id)
    if org is None:
        raise OpError("ops.no_org", org=org_id)
    today = now.astimezone(zone).date()
    org_ids = await db.orgs.subtree_ids(org_id)
    ledgers = await ledger_lines(db, org_ids, lang, zone, today=today)
    figures = await gather(db, org_ids, [line for x in ledgers for line in x.lines], now, zone)
    return Draft(org_id, org.name, today, lang, ledgers, figures)


def render_bulletin(draft: Draft) -> BulletinParts:
    """Text, chart and spreadsheet; slow (matplotlib), so run it on a thread and outside a
    transaction (SQLite holds its write lock for a whole transaction)."""
    t, today, figures = words(draft.lang), draft.today, draft.figures
    text = compose(t, draft.org_name, figures, today)
    title = t("ledger_files.bulletin.chart_title", org=draft.org_name, y=today.year, m=today.month)
    chart = render_chart(title, panels(t, figures))
    book = build_book(draft.ledgers, draft.lang)
    header = (t("ledger_files.bulletin.label"), t("ledger_files.bulletin.value"))
    name, footer = t("ledger_files.bulletin.sheet"), t("ledger_files.footer")
    add_summary_sheet(book, name, title, header, summary_rows(t, figures), footer, chart)
    return BulletinParts(text, chart, save(book), f"{today:%Y-%m}")


async def store_bulletin(db: Repos, org_id: int, parts: BulletinParts) -> BulletinParts:
    bulletin = await db.ledger.add_bulletin(
        Bulletin(
            org_id=org_id,
            month=parts.month,
            text=parts.text,
            chart=parts.chart_png,
            workbook=parts.workbook,
        )
    )
    return replace(parts, bulletin_id=bulletin.id)


async def compile_bulletin(
    db: Repos, org_id: int, now: datetime, zone: ZoneInfo, lang: str
) -> BulletinParts:
    """Compile the bulletin of ``org_id`` and its subtree as of ``now``, and keep its text.

    All in one transaction: simple, but it holds that transaction while drawing; the
    command line drafts, renders and stores in three steps instead."""
    draft = await draft_bulletin(db, org_id, now, zone, lang)
    parts = await asyncio.to_thread(render_bulletin, draft)
    return await store_bulletin(db, org_id, parts)
