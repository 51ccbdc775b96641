"""One member's page: who they are, the channels they reach us on (never their account ids
there), their personal invites, and a new personal invite for a lost link or a new phone;
and revoking an invite that should no longer work."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.auth import safe_next
from bot.console.page import Page
from bot.console.routes_members import qr_code
from bot.console.routing import ADMIN, RouteTable
from handlers.admin_ops import Links, OpError, invite_summary
from handlers.console_ops.members import channels, personal_invites, reissue, revoke
from storage.models import Invite
from storage.repos import Repos

routes = RouteTable()
MEMBER = r"/console/members/{id:\d{1,9}}"
CHANNELS = ("telegram", "wecom", "wechat", "webchat")


@routes.get(MEMBER, roles=ADMIN)
async def member_page(page: Page) -> web.StreamResponse:
    me = page.me.member
    fresh = page.request.query.get("invite", "")[:16]

    async def read(db: Repos) -> dict[str, Any] | None:
        member = await db.members.get(int(page.match("id")))
        if member is None or member.org_id != me.org_id:
            return None
        departments = {d.id: d.name for d in await db.orgs.departments(member.org_id)}
        return {"member": member, "channels": await channels(db, member.id or 0),
                "invites": await personal_invites(db, member.id or 0),
                "department": departments.get(member.department_id, "")}  # fmt: skip

    found = await page.run(read)
    if found is None:
        return page.not_found()
    services = page.core.services
    links = Links(services.telegram_username, services.web_url)
    shown = [(i, invite_summary(i, links)) for i in found.pop("invites")]
    new = next((s for i, s in shown if i.code == fresh), None)
    names = {c: page.t(f"console.channel_{c}") for c in CHANNELS}
    return page.render("member.html", invites=shown, new=new, channel_names=names,
                       qr=qr_code(str(new["link"])) if new else None, **found)  # fmt: skip


@routes.post(MEMBER + "/invite", roles=ADMIN)
async def new_personal_invite(page: Page) -> web.StreamResponse:
    me, number = page.me.member, int(page.match("id"))

    async def work(db: Repos) -> Invite | None:
        page.ops(db)  # the audit log as the console records it
        member = await db.members.get(number)
        if member is None or member.org_id != me.org_id:
            return None
        return await reissue(db, member, by=me)

    try:
        invite = await page.run(work, writes=True)
    except OpError as problem:
        return page.redirect(f"/console/members/{number}", page.t(problem.key, **problem.params),
                             kind="error")  # fmt: skip
    if invite is None:
        return page.not_found()
    return page.redirect(f"/console/members/{number}?invite={invite.code}#new-invite",
                         page.t("console.invite_reissued"))  # fmt: skip


@routes.post(r"/console/invites/{id:\d{1,9}}/revoke", roles=ADMIN)
async def revoke_invite(page: Page) -> web.StreamResponse:
    me = page.me.member
    back = safe_next(page.field("back"))
    back = back if back.startswith("/console/members") else "/console/members"

    async def work(db: Repos) -> Invite | None:
        invite = await db.session.get(Invite, int(page.match("id")))
        if invite is None or invite.org_id != me.org_id:
            return None
        await revoke(db, invite, by=me)
        return invite

    try:
        invite = await page.run(work, writes=True)
    except OpError as problem:
        return page.redirect(back, page.t(problem.key, **problem.params), kind="error")
    if invite is None:
        return page.not_found()
    return page.redirect(back, page.t("console.invite_revoked"))
