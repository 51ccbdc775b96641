"""The opinion inbox (overdue first), one opinion with its triage forms, the problem list.

Triage runs the chat's own handlers (handlers/console_ops/opinions.py): the same checks,
notices and audit entries as in chat. Anonymous threads appear only by pseudonym."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlmodel import col, select

from bot.console.page import Page
from bot.console.routing import ADMIN, OFFICE, READERS, RouteTable
from handlers.console_ops import opinions as ops
from handlers.console_ops.context import OpContext, Refused
from storage.ledger_models import RectificationItem
from storage.opinion_models import CATEGORIES, ProblemItemLink
from storage.repos import Repos

routes = RouteTable()
BASE = "/console/opinions"


@routes.get(BASE, roles=READERS)
async def inbox(page: Page) -> web.StreamResponse:
    show_all = page.request.query.get("show") == "all"
    rows = await page.run(
        lambda db: ops.inbox(page.ops(db), page.me.org_ids, open_only=not show_all)
    )
    return page.render("inbox.html", rows=rows, show_all=show_all)


@routes.get(BASE + "/{ref}", roles=READERS)
async def opinion(page: Page) -> web.StreamResponse:
    return await _show(page)


async def _show(
    page: Page,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
) -> web.Response:
    viewer = page.me

    async def read(db: Repos) -> dict[str, object] | None:
        ctx = page.ops(db)
        row = await ops.find(ctx, page.match("ref"), viewer.org_ids)
        if row is None:
            return None
        acts = ops.can_act(viewer.member, row.item)
        office = acts and viewer.is_admin
        return {
            "thread": await ops.thread(ctx, row, show_author=acts),
            "acts": acts,
            "office": office,
            "leaders": await ops.assignees(ctx) if office else [],
            "problems": await ops.problems(ctx) if office else [],
        }

    found = await page.run(read)
    if found is None:
        return page.not_found()
    values = {k: page.field(k) for k in ("reply", "reason", "title", "problem")}
    return page.render(
        "opinion.html", status=status, errors=errors or {}, failed=problems or [],
        values=values, categories=CATEGORIES, limits={"reply": ops.REPLY_LIMIT,
        "reason": ops.REASON_LIMIT, "title": ops.TITLE_LIMIT}, **found,
    )  # fmt: skip


Action = Callable[[OpContext, ops.Row], Awaitable[list[str]]]


async def _act(page: Page, action: Action, *, office_only: bool = False) -> web.Response:
    """Run one triage action on the opinion in the address, if this person may."""
    viewer, ref = page.me, page.match("ref")

    async def work(db: Repos) -> list[str] | None:
        ctx = page.ops(db)
        row = await ops.find(ctx, ref, viewer.org_ids)
        if row is None:
            return None
        if not ops.can_act(viewer.member, row.item) or (office_only and not viewer.is_admin):
            raise PermissionError
        return await action(ctx, row)

    try:
        done = await page.run(work, writes=True)
    except PermissionError:
        return page.forbidden()
    except Refused as refused:
        return await _show(page, status=409, problems=refused.messages)
    if done is None:
        return page.not_found()
    return page.redirect(f"{BASE}/{ref}", *done)


def _text(page: Page, name: str, limit: int) -> dict[str, str]:
    text = page.field(name)
    if not text:
        return {name: page.t("console.err_text_required")}
    if len(text) > limit:
        return {name: page.t("console.err_text_long", limit=limit, length=len(text))}
    return {}


@routes.post(BASE + "/{ref}/reply", roles=OFFICE)
async def reply(page: Page) -> web.StreamResponse:
    if errors := _text(page, "reply", ops.REPLY_LIMIT):
        return await _show(page, status=400, errors=errors)
    return await _act(page, lambda ctx, row: ops.reply(ctx, row, page.field("reply")))


@routes.post(BASE + "/{ref}/close", roles=OFFICE)
async def close(page: Page) -> web.StreamResponse:
    if errors := _text(page, "reason", ops.REASON_LIMIT):
        return await _show(page, status=400, errors=errors)
    return await _act(page, lambda ctx, row: ops.close(ctx, row, page.field("reason")))


@routes.post(BASE + "/{ref}/assign", roles=ADMIN)
async def assign(page: Page) -> web.StreamResponse:
    chosen = page.field("leader")
    if not chosen.isdigit() or len(chosen) > 9:
        return await _show(page, status=400, errors={"leader": page.t("console.err_leader")})
    return await _act(page, lambda ctx, row: ops.assign(ctx, row, int(chosen)), office_only=True)


@routes.post(BASE + "/{ref}/category", roles=ADMIN)
async def category(page: Page) -> web.StreamResponse:
    chosen = page.field("category")
    if chosen not in CATEGORIES:
        return await _show(page, status=400, errors={"category": page.t("console.err_choice")})
    return await _act(page, lambda ctx, row: ops.set_category(ctx, row, chosen), office_only=True)


@routes.post(BASE + "/{ref}/merge", roles=ADMIN)
async def merge(page: Page) -> web.StreamResponse:
    chosen, title = page.field("problem"), page.field("title")
    if chosen and (not chosen.isdigit() or len(chosen) > 9):
        return await _show(page, status=400, errors={"problem": page.t("console.err_choice")})
    if not chosen and (errors := _text(page, "title", ops.TITLE_LIMIT)):
        return await _show(page, status=400, errors=errors)
    problem = int(chosen) if chosen else None
    return await _act(page, lambda ctx, row: ops.merge(ctx, row, problem, title), office_only=True)


@routes.get("/console/problems", roles=READERS)
async def problems(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> list[dict[str, object]]:
        found = []
        for org in page.me.orgs:
            for problem in await db.opinions.problems(org.id or 0):
                named, anon = await db.opinions.problem_sources(problem.id or 0)
                linked = (
                    select(RectificationItem)
                    .join(ProblemItemLink, col(ProblemItemLink.item_id) == RectificationItem.id)
                    .where(ProblemItemLink.problem_id == problem.id)
                )
                items = list((await db.session.exec(linked)).all())
                found.append({"problem": problem, "org": org, "sources": len(named) + len(anon),
                              "items": items})  # fmt: skip
        return found

    return page.render("problems.html", problems=await page.run(read))
