"""Deadlines (e.g. each leader's self-examination report): creating one with the time typed
as people say it, who handed in and who still owes, the spreadsheet, cancelling; all
through the chat's own handlers (handlers/deadlines/organizer.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.page import XLSX, Page
from bot.console.routing import ADMIN, READERS, RouteTable
from handlers.console_ops import deadlines as ops
from handlers.console_ops.context import OpContext, Refused
from handlers.console_ops.forms import Form
from storage.repos import Repos
from storage.study_models import Deadline

routes = RouteTable()
BASE = "/console/deadlines"
ONE = BASE + r"/{id:\d{1,9}}"


def _render(page: Page, form: Form, *, status: int = 200) -> web.Response:
    return page.render("deadline_form.html", status=status, form=form, kinds=ops.KINDS,
                       audiences=ops.AUDIENCES, limit=ops.organizer.TITLE_LIMIT)  # fmt: skip


@routes.get(BASE + "/new", roles=ADMIN)
async def new_deadline(page: Page) -> web.StreamResponse:
    return _render(page, Form({"kind": "self_exam", "audience": "leaders"}))


@routes.post(BASE + "/new", roles=ADMIN)
async def create_deadline(page: Page) -> web.StreamResponse:
    values = {name: page.field(name) for name in ops.FIELDS}

    async def work(db: Repos) -> tuple[Form, int, list[str]]:
        ctx = page.ops(db)
        form = await ops.check(ctx, values)
        if not form.ok:
            return form, 0, []
        number, said = await ops.create(ctx, form)
        return form, number, said

    try:
        form, number, said = await page.run(work, writes=True)
    except Refused as refused:
        form = Form(values)
        form.fail("audience", " ".join(refused.messages))
        return _render(page, form, status=409)
    if not form.ok:
        return _render(page, form, status=400)
    return page.redirect(f"{BASE}/{number}", *said)


async def _load(page: Page, db: Repos) -> tuple[Deadline, OpContext] | None:
    deadline = await db.study.deadline(int(page.match("id")))
    if deadline is None or not page.me.sees(deadline.org_id):
        return None
    ctx = page.ops(db)
    ctx.org = await db.orgs.get(deadline.org_id)
    return deadline, ctx


@routes.get(ONE, roles=READERS)
async def deadline_page(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> dict[str, Any] | None:
        found = await _load(page, db)
        if found is None:
            return None
        deadline, ctx = found
        rows = await ops.owed(ctx, deadline)
        office = page.me.is_admin and page.me.member.org_id == deadline.org_id
        return {"deadline": deadline, "rows": rows, "org": ctx.org, "office": office,
                "owed": [r for r in rows if r.handed is None],
                "past": deadline.due_at <= ctx.now()}  # fmt: skip

    found = await page.run(read)
    if found is None:
        return page.not_found()
    return page.render("deadline.html", **found)


@routes.get(ONE + "/export.xlsx", roles=READERS)
async def export(page: Page) -> web.StreamResponse:
    async def work(db: Repos) -> bytes | None:
        found = await _load(page, db)
        return await ops.workbook(found[1], found[0]) if found else None

    data = await page.run(work)
    if data is None:
        return page.not_found()
    name = f"deadline-{page.match('id')}.xlsx"
    return page.download(data, name, f"{page.t('console.deadline_file')}-{name}", XLSX)


@routes.post(ONE + "/cancel", roles=ADMIN)
async def cancel(page: Page) -> web.StreamResponse:
    number = int(page.match("id"))

    async def work(db: Repos) -> list[str] | None:
        found = await _load(page, db)
        if found is None:
            return None
        deadline, ctx = found
        if deadline.cancelled:
            raise Refused([page.t("console.deadline_was_cancelled")])
        return await ops.cancel(ctx, deadline)

    try:
        said = await page.run(work, writes=True)
    except Refused as refused:
        return page.redirect(f"{BASE}/{number}", *refused.messages, kind="error")
    if said is None:
        return page.not_found()
    return page.redirect(f"{BASE}/{number}", *said)
