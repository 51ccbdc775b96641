"""The monthly bulletin (月通报): the list, compiling one now, a printable page (print
CSS; the chart PNG embedded from the stored row), publishing it (公示), and downloads of
its PDF and its spreadsheet."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from aiohttp import web

from bot.console.page import XLSX, Page
from bot.console.routing import ADMIN, READERS, RouteTable
from handlers.console_ops import bulletins as ops
from handlers.console_ops.bulletin_pdf import bulletin_pdf
from handlers.console_ops.context import Refused
from handlers.ledger.bulletin import render_bulletin
from storage.ledger_models import Bulletin
from storage.repos import Repos

routes = RouteTable()
BASE = "/console/bulletins"
ONE = BASE + r"/{id:\d{1,9}}"


@routes.get(BASE, roles=READERS)
async def bulletins(page: Page) -> web.StreamResponse:
    found = await page.run(lambda db: ops.listed(db, page.me.org_ids))
    names = {o.id: o.name for o in page.me.orgs}
    return page.render("bulletins.html", rows=found, names=names, several=len(names) > 1)


@routes.post(BASE + "/compile", roles=ADMIN)
async def compile_now(page: Page) -> web.StreamResponse:
    """Drafted in one transaction, drawn outside any (matplotlib is slow), kept in another."""
    org = page.me.org
    drafted = await page.run(lambda db: ops.draft(page.ops(db), org))
    parts = await asyncio.to_thread(render_bulletin, drafted)
    number = await page.run(lambda db: ops.keep(page.ops(db), org, parts), writes=True)
    return page.redirect(f"{BASE}/{number}", page.t("console.bulletin_compiled", month=parts.month))


async def _load(page: Page, db: Repos) -> tuple[Bulletin, str] | None:
    found = await db.session.get(Bulletin, int(page.match("id")))
    if found is None or not page.me.sees(found.org_id):
        return None
    org = await db.orgs.get(found.org_id)
    return found, org.name if org else ""


@routes.get(ONE, roles=READERS)
async def bulletin_page(page: Page) -> web.StreamResponse:
    found = await page.run(lambda db: _load(page, db))
    if found is None:
        return page.not_found()
    bulletin, org = found
    chart = base64.b64encode(bulletin.chart).decode() if bulletin.chart else ""
    lines = bulletin.text.splitlines() or [""]
    office = page.me.is_admin and page.me.member.org_id == bulletin.org_id
    return page.render("bulletin.html", bulletin=bulletin, org=org, chart=chart,
                       heading=lines[0], lines=lines[1:], office=office)  # fmt: skip


@routes.post(ONE + "/publish", roles=ADMIN)
async def publish(page: Page) -> web.StreamResponse:
    number = int(page.match("id"))

    async def work(db: Repos) -> list[str] | None:
        found = await _load(page, db)
        if found is None or found[0].org_id != page.me.member.org_id:
            return None
        if found[0].published:
            raise Refused([page.t("console.bulletin_was_published")])
        return await ops.publish(page.ops(db), found[0])

    try:
        said = await page.run(work, writes=True)
    except Refused as refused:
        return page.redirect(f"{BASE}/{number}", *refused.messages, kind="error")
    if said is None:
        return page.not_found()
    return page.redirect(f"{BASE}/{number}", *said)


def _name(bulletin: Bulletin, suffix: str) -> str:
    return f"bulletin-{bulletin.month}-{bulletin.id}.{suffix}"


@routes.get(ONE + "/bulletin.pdf", roles=READERS)
async def pdf(page: Page) -> web.StreamResponse:
    found = await page.run(lambda db: _load(page, db))
    if found is None:
        return page.not_found()
    bulletin, org = found
    footer = page.t("console.bulletin_footer", org=org, month=bulletin.month)
    data: Any = await asyncio.to_thread(bulletin_pdf, bulletin.text, bulletin.chart, footer)
    shown = page.t("console.bulletin_file", org=org, month=bulletin.month) + ".pdf"
    return page.download(data, _name(bulletin, "pdf"), shown, "application/pdf")


@routes.get(ONE + "/bulletin.xlsx", roles=READERS)
async def workbook(page: Page) -> web.StreamResponse:
    found = await page.run(lambda db: _load(page, db))
    if found is None or not found[0].workbook:
        return page.not_found()
    bulletin, org = found
    shown = page.t("console.bulletin_file", org=org, month=bulletin.month) + ".xlsx"
    return page.download(bulletin.workbook or b"", _name(bulletin, "xlsx"), shown, XLSX)
