"""The rectification ledger: the list by status (overdue and at-risk marked), an item with
its full history, review decisions and look-back (回头看), and the Excel/CSV export."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

from aiohttp import web

from bot.console.page import Page
from bot.console.routing import ADMIN, OFFICE, READERS, RouteTable
from handlers.console_ops import ledger as ops
from handlers.console_ops.context import OpContext, Refused
from handlers.console_ops.ratings import rating_view
from handlers.ledger.bulletin_figures import RISK_DAYS, RISK_PERCENT, STATUSES, state
from handlers.ledger.common import OPEN
from handlers.ledger.excel import Line, build_book, ledger_csv, ledger_lines
from handlers.ledger.sheets import save
from storage.ledger_models import ItemStatus, RectificationItem
from storage.repos import Repos

routes = RouteTable()
BASE = "/console/ledger"
ITEM = BASE + r"/{id:\d{1,9}}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Entry:
    line: Line
    org: str
    state: str
    at_risk: bool


def at_risk(item: RectificationItem, today: date) -> bool:
    soon = today + timedelta(days=RISK_DAYS)
    return item.status in OPEN and today <= item.deadline <= soon and item.percent < RISK_PERCENT


@routes.get(BASE, roles=READERS)
async def ledger(page: Page) -> web.StreamResponse:
    today, chosen = page.today(), page.request.query.get("status", "")

    async def read(db: Repos) -> list[Entry]:
        books = await ledger_lines(db, page.me.org_ids, page.lang, page.core.services.zone,
                                   today=today)  # fmt: skip
        return [
            Entry(line, book.org.name, state(line, today), at_risk(line.item, today))
            for book in books
            for line in book.lines
        ]

    entries = await page.run(read)
    counts = {s: sum(1 for e in entries if e.state == s) for s in STATUSES}
    counts["at_risk"] = sum(1 for e in entries if e.at_risk)
    shown = [e for e in entries if chosen in ("", e.state) or (chosen == "at_risk" and e.at_risk)]
    several = len(page.me.org_ids) > 1
    return page.render("ledger.html", entries=shown, counts=counts, chosen=chosen,
                       statuses=STATUSES, several=several)  # fmt: skip


@routes.get(BASE + "/export.xlsx", roles=READERS)
async def export_xlsx(page: Page) -> web.StreamResponse:
    zone, today = page.core.services.zone, page.today()
    books = await page.run(lambda db: ledger_lines(db, page.me.org_ids, page.lang, zone,
                                                   today=today))  # fmt: skip
    data = await asyncio.to_thread(lambda: save(build_book(books, page.lang)))
    return _download(page, data, "xlsx", XLSX)


@routes.get(BASE + "/export.csv", roles=READERS)
async def export_csv(page: Page) -> web.StreamResponse:
    zone, today = page.core.services.zone, page.today()
    data = await page.run(lambda db: ledger_csv(db, page.me.org_ids, page.lang, zone, today=today))
    return _download(page, data, "csv", "text/csv; charset=utf-8")


def _download(page: Page, data: bytes, suffix: str, kind: str) -> web.Response:
    name = f"{page.t('console.export_name')}-{page.today().isoformat()}.{suffix}"
    disposition = f"attachment; filename=ledger.{suffix}; filename*=UTF-8''{quote(name)}"
    headers = {"Content-Disposition": disposition, "Cache-Control": "no-store"}
    return web.Response(body=data, headers=headers, content_type=kind.split(";")[0])


@routes.get(ITEM, roles=READERS)
async def item_page(page: Page) -> web.StreamResponse:
    return await show_item(page)


async def show_item(
    page: Page, *, status: int = 200, errors: dict[str, str] | None = None
) -> web.Response:
    viewer = page.me

    async def read(db: Repos) -> dict[str, object] | None:
        item = await db.ledger.get(int(page.match("id")))
        if item is None or not viewer.sees(item.org_id):
            return None
        history = await db.ledger.history(item.id or 0)
        people = {m: await db.members.get(m) for m in
                  {item.leader_id, item.person_id, *(r.member_id for r in history)}}  # fmt: skip
        problems = [await db.opinions.problem(p) for p in await db.ledger.problems_of(item.id or 0)]
        mine = viewer.member.org_id == item.org_id
        ctx = page.ops(db)
        ctx.org = await db.orgs.get(item.org_id)
        return {
            "ratings": await rating_view(ctx, item),
            "item": item, "history": history, "people": people,
            "children": await db.ledger.children(item.id or 0),
            "milestones": await db.ledger.milestones(item.id or 0),
            "problems": [p for p in problems if p is not None],
            "org": await db.orgs.get(item.org_id),
            "reviews": mine and item.status == ItemStatus.awaiting_review
            and (viewer.is_admin or item.leader_id == viewer.member.id),
            "reopens": mine and viewer.is_admin and item.status == ItemStatus.done,
            "edits": mine and viewer.is_admin,
            "overdue": state_of(item, page.today()) == "overdue",
        }  # fmt: skip

    found = await page.run(read)
    if found is None:
        return page.not_found()
    return page.render("item.html", status=status, errors=errors or {},
                       reason=page.field("reason"), limit=ops.REASON_LIMIT, **found)  # fmt: skip


def state_of(item: RectificationItem, today: date) -> str:
    return "overdue" if item.status in OPEN and item.deadline < today else str(item.status)


async def _decide(page: Page, decide: ops.Decision) -> web.Response:
    """A review decision or a look-back, by the chat's own handler, on an item in scope."""
    viewer, number = page.me, int(page.match("id"))

    async def work(db: Repos) -> list[str] | None:
        item = await db.ledger.get(number)
        if item is None or not viewer.sees(item.org_id):
            return None
        return await decide(page.ops(db), item)

    try:
        done = await page.run(work, writes=True)
    except Refused as refused:
        return page.redirect(f"{BASE}/{number}", *refused.messages, kind="error")
    if done is None:
        return page.not_found()
    return page.redirect(f"{BASE}/{number}", *done)


@routes.post(ITEM + "/approve", roles=OFFICE)
async def approve(page: Page) -> web.StreamResponse:
    return await _decide(page, ops.approve)


@routes.post(ITEM + "/return", roles=OFFICE)
async def send_back(page: Page) -> web.StreamResponse:
    reason = page.field("reason")
    if not reason or len(reason) > ops.REASON_LIMIT:
        error = page.t("console.err_text_long", limit=ops.REASON_LIMIT, length=len(reason))
        if not reason:
            error = page.t("console.err_text_required")
        return await show_item(page, status=400, errors={"reason": error})

    async def decide(ctx: OpContext, item: RectificationItem) -> list[str]:
        return await ops.send_back(ctx, item, reason)

    return await _decide(page, decide)


@routes.post(ITEM + "/reopen", roles=ADMIN)
async def reopen(page: Page) -> web.StreamResponse:
    return await _decide(page, ops.reopen)
