"""Creating and editing a ledger item: the four specifics and the pledge (四明确一承诺),
checked on the server, each message beside its field, what was typed kept, nothing written
while anything is wrong. A new item may start from a problem on the problem list."""

from __future__ import annotations

from aiohttp import web

from bot.console.page import Page
from bot.console.routes_ledger import BASE, ITEM
from bot.console.routing import ADMIN, RouteTable
from handlers.console_ops import ledger as ops
from handlers.console_ops.context import Refused
from storage.ledger_models import RectificationItem, Visibility
from storage.repos import Repos

routes = RouteTable()


async def _render(
    page: Page, form: ops.ItemForm, *, item: RectificationItem | None, status: int = 200,
    failed: list[str] | None = None,
) -> web.Response:  # fmt: skip
    async def read(db: Repos) -> dict[str, object]:
        ctx = page.ops(db)
        leaders, people = await ops.candidates(ctx)
        problems = await db.opinions.problems(page.me.member.org_id) if item is None else []
        return {"leaders": leaders, "people": people, "problems": problems}

    choices = await page.run(read)
    return page.render(
        "item_form.html", status=status, form=form, item=item, limits=ops.LIMITS,
        visibilities=tuple(Visibility), failed=failed or [], **choices,
    )  # fmt: skip


def _typed(page: Page) -> dict[str, str]:
    return {name: page.field(name) for name in (*ops.FIELDS, "problem")}


@routes.get(BASE + "/new", roles=ADMIN)
async def new_item(page: Page) -> web.StreamResponse:
    values = {"visibility": Visibility.internal, "problem": page.request.query.get("problem", "")}
    if values["problem"].isdigit() and len(values["problem"]) < 10:
        found = await page.run(lambda db: db.opinions.problem(int(values["problem"])))
        if found is not None and found.org_id == page.me.member.org_id:
            values["content"] = found.title
        else:
            values["problem"] = ""
    return await _render(page, ops.ItemForm(values), item=None)


@routes.post(BASE + "/new", roles=ADMIN)
async def create_item(page: Page) -> web.StreamResponse:
    typed = _typed(page)

    async def work(db: Repos) -> tuple[ops.ItemForm, int, list[str]]:
        ctx = page.ops(db)
        form = await ops.check(ctx, typed)
        if form.errors:
            return form, 0, []
        number, said = await ops.create_item(ctx, form)
        return form, number, said

    try:
        form, number, said = await page.run(work, writes=True)
    except Refused as refused:
        return await _render(page, ops.ItemForm(typed), item=None, status=409,
                             failed=refused.messages)  # fmt: skip
    if form.errors:
        return await _render(page, form, item=None, status=400)
    return page.redirect(f"{BASE}/{number}", *said)


async def _own(page: Page, db: Repos) -> RectificationItem | None:
    item = await db.ledger.get(int(page.match("id")))
    return item if item is not None and item.org_id == page.me.member.org_id else None


@routes.get(ITEM + "/edit", roles=ADMIN)
async def edit_page(page: Page) -> web.StreamResponse:
    item = await page.run(lambda db: _own(page, db))
    if item is None:
        return page.not_found()
    return await _render(page, ops.ItemForm.of(item), item=item)


@routes.post(ITEM + "/edit", roles=ADMIN)
async def edit_item(page: Page) -> web.StreamResponse:
    typed = _typed(page)
    typed.pop("problem")

    async def work(db: Repos) -> tuple[RectificationItem | None, ops.ItemForm, list[str]]:
        item = await _own(page, db)
        if item is None:
            return None, ops.ItemForm(typed), []
        ctx = page.ops(db)
        form = await ops.check(ctx, typed, was=item)
        if form.errors:
            return item, form, []
        return item, form, await ops.edit_item(ctx, item, form)

    item, form, said = await page.run(work, writes=True)
    if item is None:
        return page.not_found()
    if form.errors:
        return await _render(page, form, item=item, status=400)
    return page.redirect(f"{BASE}/{item.id}", *said)
