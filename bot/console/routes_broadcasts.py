"""Broadcasts (广播) in the console: the list of the viewer's organizations; composing one
(text, audience by roles with the count it reaches — updated as roles are ticked, through
a small JSON answer, or with the 预览 button without JavaScript — now or at a typed time,
once or daily/weekly until a day); a broadcast's page with a progress bar that asks every
second while it goes out and the delivery report at the end; cancelling one."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.page import Page
from bot.console.routing import ADMIN, READERS, RouteTable
from handlers.admin_ops import OpError
from handlers.broadcasts.common import TEXT_LIMIT, roles_of
from handlers.console_ops import broadcast_report as report
from handlers.console_ops import broadcasts as ops
from handlers.console_ops.context import OpContext, Refused
from handlers.console_ops.forms import Form
from storage.repos import Repos

routes = RouteTable()
BASE = "/console/broadcasts"
ONE = BASE + r"/{id:\d{1,9}}"
POLL_MS = 1000
NO_STORE = {"Cache-Control": "no-store"}


@routes.get(BASE, roles=READERS)
async def broadcasts(page: Page) -> web.StreamResponse:
    rows = await page.run(lambda db: report.listing(page.ops(db), page.me.orgs))
    return page.render("broadcasts.html", rows=rows, several=len(page.me.orgs) > 1)


async def _compose(page: Page, form: Form, *, status: int = 200) -> web.Response:
    async def read(db: Repos) -> dict[str, Any]:
        ctx = page.ops(db)
        members, reachable = await ops.reach(ctx, form.clean.get("roles", []))
        return {"counts": await ops.role_counts(ctx), "zone": str(ctx.zone),
                "reach": ops.reach_text(ctx, members, reachable)}  # fmt: skip

    found = await page.run(read)
    return page.render("broadcast_form.html", status=status, form=form, roles=ops.ROLES,
                       chosen=form.clean.get("roles", []), limit=TEXT_LIMIT,
                       repeats=ops.REPEAT_CHOICES, **found)  # fmt: skip


@routes.get(BASE + "/new", roles=ADMIN)
async def new_broadcast(page: Page) -> web.StreamResponse:
    return await _compose(page, ops.fresh())


@routes.post(BASE + "/new", roles=ADMIN)
async def create_broadcast(page: Page) -> web.StreamResponse:
    values = {name: str(page.form.get(name, "")) for name in ops.FIELDS}
    roles = [str(v) for v in page.form.getall("roles", [])][:20]
    preview = bool(page.field("preview"))

    async def work(db: Repos) -> tuple[Form, int, int]:
        ctx = page.ops(db)
        form = await ops.check(ctx, values, roles)
        if not form.ok or preview:
            return form, 0, 0
        try:
            row, queued = await ops.create(ctx, form)
        except OpError as problem:  # the audience emptied, or the moment passed, meanwhile
            raise _Failed(ops.refused_field(form, ctx, problem)) from None
        return form, row.id or 0, queued

    try:
        form, number, queued = await page.run(work, writes=not preview)
    except _Failed as failed:
        return await _compose(page, failed.form, status=400)
    if preview:
        form.errors = {k: v for k, v in form.errors.items() if k == "audience"}
        return await _compose(page, form)
    if not form.ok:
        return await _compose(page, form, status=400)
    said = page.t("console.bc_started", id=number, count=queued) if form.clean["now"] \
        else page.t("console.bc_scheduled", id=number)  # fmt: skip
    return page.redirect(f"{BASE}/{number}", said)


class _Failed(Exception):
    """Refused after writing began: the transaction rolls back."""

    def __init__(self, form: Form) -> None:
        super().__init__("form refused")
        self.form = form


@routes.get(BASE + "/audience.json", roles=ADMIN)
async def audience(page: Page) -> web.StreamResponse:
    """How many an audience reaches, for the compose form as roles are ticked."""
    roles = ops.chosen_roles(page.request.query.getall("roles", [])[:20])

    async def read(db: Repos) -> dict[str, object]:
        ctx = page.ops(db)
        if roles is None:
            return {"error": ctx.t("console.err_choice")}
        members, reachable = await ops.reach(ctx, roles)
        return {"members": members, "reachable": reachable,
                "text": ops.reach_text(ctx, members, reachable)}  # fmt: skip

    body = await page.run(read)
    return web.json_response(body, status=400 if "error" in body else 200, headers=NO_STORE)


async def _load(page: Page, db: Repos) -> tuple[report.Shown, OpContext] | None:
    """The broadcast in the address, if this person may see it."""
    row = await db.study.broadcast(int(page.match("id")))
    if row is None or not page.me.sees(row.org_id):
        return None
    ctx = page.ops(db)
    ctx.org = await db.orgs.get(row.org_id)
    assert ctx.org is not None
    return await report.shown(ctx, row, ctx.org), ctx


@routes.get(ONE, roles=READERS)
async def broadcast_page(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> dict[str, Any] | None:
        found = await _load(page, db)
        if found is None:
            return None
        shown, ctx = found
        row = shown.broadcast
        sender = await db.members.get(row.sender_id) if row.sender_id else None
        members, _ = await ops.reach(ctx, roles_of(row.audience))
        return {"shown": shown, "sender": sender, "members": members,
                "progress": report.progress(ctx, shown), "zone": str(ctx.zone),
                "office": page.me.is_admin and page.me.member.org_id == row.org_id}  # fmt: skip

    found = await page.run(read)
    if found is None:
        return page.not_found()
    return page.render("broadcast.html", poll=POLL_MS, active=ops.ACTIVE, **found)


@routes.get(ONE + "/progress.json", roles=READERS)
async def progress(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> dict[str, object] | None:
        found = await _load(page, db)
        return report.progress(found[1], found[0]) if found else None

    body = await page.run(read)
    if body is None:
        return web.json_response({"error": page.t("console.not_found")}, status=404,
                                 headers=NO_STORE)  # fmt: skip
    return web.json_response(body, headers=NO_STORE)


@routes.post(ONE + "/cancel", roles=ADMIN)
async def cancel(page: Page) -> web.StreamResponse:
    number = int(page.match("id"))

    async def work(db: Repos) -> list[str] | None:
        row = await db.study.broadcast(number)
        if row is None or row.org_id != page.me.member.org_id:
            return None
        return await ops.cancel_one(page.ops(db), row)

    try:
        said = await page.run(work, writes=True)
    except Refused as refused:
        return page.redirect(f"{BASE}/{number}", *refused.messages, kind="error")
    if said is None:
        return page.not_found()
    return page.redirect(f"{BASE}/{number}", *said)
