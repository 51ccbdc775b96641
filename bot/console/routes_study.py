"""Study sessions and deadlines on a month calendar; a session's page with its check-in
code (large, for projecting in the room, refreshed every 30 s), its attendance and the
attendance spreadsheet; cancelling a session through the chat's own handler."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.page import XLSX, Page
from bot.console.routing import ADMIN, READERS, RouteTable
from handlers.console_ops import study as ops
from handlers.console_ops.calendar import Month, month, month_of
from handlers.console_ops.context import OpContext, Refused
from handlers.study.attendance import STATES
from handlers.study.common import audience_label
from handlers.study.when import format_span
from storage.repos import Repos
from storage.study_models import StudySession

routes = RouteTable()
SESSIONS = "/console/sessions"
SESSION = SESSIONS + r"/{id:\d{1,9}}"
REFRESH_SECONDS = 30


@routes.get("/console/calendar", roles=READERS)
async def calendar_page(page: Page) -> web.StreamResponse:
    viewer = page.me
    first = month_of(page.request.query.get("month", ""), page.today())

    async def read(db: Repos) -> tuple[Month, dict[int, str]]:
        found = await month(db, viewer.orgs, first, page.core.services.zone, page.today())
        return found, {o.id or 0: o.name for o in viewer.orgs}

    shown, names = await page.run(read)
    return page.render("calendar.html", month=shown, orgs=names, several=len(names) > 1,
                       weekdays=page.t("console.weekdays").split("|"))  # fmt: skip


async def load(page: Page, db: Repos) -> tuple[StudySession, OpContext] | None:
    """The session in the address, if this person may see it, and a context in its
    organization (its time zone)."""
    session = await db.study.study_session(int(page.match("id")))
    if session is None or not page.me.sees(session.org_id):
        return None
    ctx = page.ops(db)
    ctx.org = await db.orgs.get(session.org_id)
    return session, ctx


def span(page: Page, ctx: OpContext, session: StudySession) -> str:
    return format_span(session.starts_at, session.ends_at, ctx.zone, page.lang)


@routes.get(SESSION, roles=READERS)
async def session_page(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> dict[str, Any] | None:
        found = await load(page, db)
        if found is None:
            return None
        session, ctx = found
        rows = await ops.attendance_rows(ctx, session)
        office = page.me.is_admin and page.me.member.org_id == session.org_id
        creator = await db.members.get(session.created_by) if session.created_by else None
        departments = {d.id: d.name for d in await db.orgs.departments(session.org_id)}
        return {
            "session": session, "rows": rows, "office": office, "creator": creator,
            "org": ctx.org, "span": span(page, ctx, session), "departments": departments,
            "audience": audience_label(page.t, session.audience),
            "counts": {s: sum(r.state == s for r in rows) for s in STATES},
            "code": ops.current_code(session, ctx.now()) if office else None,
            "changeable": office and ops.changeable(session, ctx.now()),
            "zone": ctx.zone,
        }  # fmt: skip

    found = await page.run(read)
    if found is None:
        return page.not_found()
    return page.render("session.html", states=STATES, refresh=REFRESH_SECONDS, **found)


@routes.get(SESSION + "/code", roles=ADMIN)
async def code_page(page: Page) -> web.StreamResponse:
    """For the projector in the room: the code, large, and nothing else."""
    found = await page.run(lambda db: load(page, db))
    if found is None:
        return page.not_found()
    session, ctx = found
    code = ops.current_code(session, ctx.now())
    return page.render("code.html", session=session, code=code, span=span(page, ctx, session),
                       refresh=REFRESH_SECONDS, zone=ctx.zone)  # fmt: skip


@routes.get(SESSION + "/code.json", roles=ADMIN)
async def code_json(page: Page) -> web.StreamResponse:
    found = await page.run(lambda db: load(page, db))
    if found is None:
        return page.not_found()
    session, ctx = found
    code = ops.current_code(session, ctx.now())
    note = {
        "live": "",
        "not_yet": page.t("console.code_not_yet", opens=page.when(code.opens)),
        "ended": page.t("console.code_ended"),
        "cancelled": page.t("console.code_cancelled"),
        "online": page.t("console.code_online"),
    }[code.state]
    body = {"state": code.state, "code": code.code, "changes_in": code.changes_in, "note": note}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


@routes.get(SESSION + "/attendance.xlsx", roles=READERS)
async def attendance_xlsx(page: Page) -> web.StreamResponse:
    async def work(db: Repos) -> Any:
        found = await load(page, db)
        return await ops.attendance_book(found[1], found[0]) if found else None

    made = await page.run(work)
    if made is None:
        return page.not_found()
    return page.download(made.data, made.name, made.name, XLSX)


@routes.post(SESSION + "/cancel", roles=ADMIN)
async def cancel(page: Page) -> web.StreamResponse:
    number = int(page.match("id"))

    async def work(db: Repos) -> list[str] | None:
        found = await load(page, db)
        return await ops.cancel(found[1], found[0]) if found else None

    try:
        said = await page.run(work, writes=True)
    except Refused as refused:
        return page.redirect(f"{SESSIONS}/{number}", *refused.messages, kind="error")
    if said is None:
        return page.not_found()
    return page.redirect(f"{SESSIONS}/{number}", *said)
