"""The organization tree (with member counts), a child organization created by the office,
and an organization's page: its stage calendar and its settings, which its office — or
the office of an organization above it — may change, each field checked and nothing
written while anything is wrong."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.page import Page
from bot.console.routing import ADMIN, READERS, RouteTable
from handlers.console_ops import orgs as ops
from handlers.console_ops.forms import Form
from storage.models import Organization, OrgKind, Stage, StagePeriod
from storage.repos import Repos

routes = RouteTable()
BASE = "/console/orgs"
ONE = BASE + r"/{id:\d{1,9}}"


async def _tree(page: Page, form: Form, *, status: int = 200) -> web.Response:
    node = await page.run(lambda db: ops.tree(db, page.me.org))
    if not form.values:
        form = Form({"kind": ops.child_kind(page.me.org)})
    return page.render("orgs.html", status=status, root=node, form=form, kinds=tuple(OrgKind))


@routes.get(BASE, roles=READERS)
async def org_tree(page: Page) -> web.StreamResponse:
    return await _tree(page, Form())


@routes.post(BASE, roles=ADMIN)
async def create_child(page: Page) -> web.StreamResponse:
    values = {"name": page.field("name"), "kind": page.field("kind")}

    async def work(db: Repos) -> tuple[Form, Organization | None]:
        ctx = page.ops(db)
        form = await ops.check_child(ctx, values)
        parent = await db.orgs.get(page.me.member.org_id)
        if not form.ok or parent is None:
            return form, None
        return form, await ops.create_child(ctx, parent, form)

    form, child = await page.run(work, writes=True)
    if child is None:
        return await _tree(page, form, status=400)
    return page.redirect(f"{BASE}#org-{child.id}", page.t("console.org_created", name=child.name))


async def _org_page(
    page: Page, *, stages: Form | None = None, settings: Form | None = None, status: int = 200
) -> web.Response:
    async def read(db: Repos) -> dict[str, Any] | None:
        org = await db.orgs.get(int(page.match("id")))
        office = org is not None and await _manages(page, db, org)
        if org is None or not (office or page.me.sees(org.id)):
            return None
        periods = await db.orgs.stages(org.id or 0)
        inherited = None
        if not periods:
            inherited = await db.orgs.current_stage(org.id or 0, page.today())
        return {"org": org, "periods": periods, "inherited": inherited, "office": office,
                "parent": await db.orgs.get(org.parent_id) if org.parent_id else None,
                "members": await db.members.count_in_org(org.id or 0)}  # fmt: skip

    found = await page.run(read)
    if found is None:
        return page.not_found()
    org: Organization = found["org"]
    periods: list[StagePeriod] = found["periods"]
    return page.render(
        "org.html", status=status, stages=stages or Form(ops.stage_values(periods)),
        settings=settings or Form(ops.setting_values(org)), bounds=ops.BOUNDS,
        all_stages=tuple(Stage), **found,
    )  # fmt: skip


@routes.get(ONE, roles=READERS)
async def org_page(page: Page) -> web.StreamResponse:
    return await _org_page(page)


async def _manages(page: Page, db: Repos, org: Organization) -> bool:
    """An office manages its organization and those below it: a child it has just created
    has no office of its own to set its stage calendar."""
    me = page.me
    return me.is_admin and org.id in await db.orgs.subtree_ids(me.member.org_id)


async def _own(page: Page, db: Repos) -> Organization | None:
    org = await db.orgs.get(int(page.match("id")))
    return org if org is not None and await _manages(page, db, org) else None


@routes.post(ONE + "/stages", roles=ADMIN)
async def set_stages(page: Page) -> web.StreamResponse:
    values = {f"{s}_{e}": page.field(f"{s}_{e}") for s in Stage for e in ("from", "to")}

    async def work(db: Repos) -> tuple[Form, list[str]] | None:
        org = await _own(page, db)
        if org is None:
            return None
        ctx = page.ops(db)
        periods = await db.orgs.stages(org.id or 0)
        form = ops.check_stages(ctx, values, periods)
        return form, await ops.set_stages(ctx, org, form, periods) if form.ok else []

    found = await page.run(work, writes=True)
    if found is None:
        return page.not_found()
    form, changed = found
    if not form.ok:
        return await _org_page(page, stages=form, status=400)
    said = page.t("console.stages_saved", stages=page.t("study.sep").join(changed)) if changed \
        else page.t("console.nothing_changed")  # fmt: skip
    return page.redirect(f"{BASE}/{page.match('id')}#stages", said)


@routes.post(ONE + "/settings", roles=ADMIN)
async def save_settings(page: Page) -> web.StreamResponse:
    values = {name: page.field(name) for name in ops.SETTINGS}

    async def work(db: Repos) -> tuple[Form, dict[str, list]] | None:
        org = await _own(page, db)
        if org is None:
            return None
        ctx = page.ops(db)
        form = ops.check_settings(ctx, values)
        return form, await ops.save_settings(ctx, org, form) if form.ok else {}

    found = await page.run(work, writes=True)
    if found is None:
        return page.not_found()
    form, changes = found
    if not form.ok:
        return await _org_page(page, settings=form, status=400)
    said = page.t("console.settings_saved", count=len(changes)) if changes \
        else page.t("console.nothing_changed")  # fmt: skip
    return page.redirect(f"{BASE}/{page.match('id')}#settings", said)
