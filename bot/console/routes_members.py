"""Members and invites: the list, a new invite with its link and QR code, a roster
spreadsheet imported (every good row a member with a personal invite), deactivating."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import segno
from aiohttp import web
from markupsafe import Markup

from bot.console.page import Page
from bot.console.routing import ADMIN, RouteTable
from handlers.admin_ops import Links, OpError, create_invite, invite_summary
from handlers.console_ops.context import actor
from handlers.console_ops.members import deactivate, member_rows, open_invites
from handlers.roster import import_roster, read_xlsx
from storage.models import Invite, Rank, Role
from storage.repos import Repos

routes = RouteTable()
BASE = "/console/members"
INVITE_FIELDS = {
    "ops.role": "role",
    "ops.rank": "rank",
    "ops.uses": "uses",
    "ops.valid_days": "days",
}
ROSTER_LIMIT = 900 * 1024


def qr_code(link: str) -> Markup:
    """The link as a QR code, an SVG drawn in pure Python (segno)."""
    svg = segno.make(link, error="m").svg_inline(scale=4, border=2, omitsize=True)
    return Markup(svg)  # noqa: S704 - segno draws only paths from the encoded bits


async def _render(
    page: Page, *, status: int = 200, errors: dict[str, str] | None = None, fresh: str = ""
) -> web.Response:
    org_id = page.me.member.org_id

    async def read(db: Repos) -> tuple[list, list[Invite]]:
        return await member_rows(db, org_id), await open_invites(db, org_id)

    rows, invites = await page.run(read)
    services = page.core.services
    links = Links(services.telegram_username, services.web_url)
    names = {r.member.id: r.member.name for r in rows}
    shown = [(i, invite_summary(i, links), names.get(i.member_id)) for i in invites]
    new = next((s for i, s, _ in shown if i.code == fresh), None)
    values = {k: page.field(k) for k in ("role", "rank", "uses", "days")}
    return page.render(
        "members.html", status=status, rows=rows, invites=shown, new=new,
        qr=qr_code(str(new["link"])) if new else None, roles=tuple(Role), ranks=tuple(Rank),
        errors=errors or {}, values=values,
    )  # fmt: skip


@routes.get(BASE, roles=ADMIN)
async def members(page: Page) -> web.StreamResponse:
    return await _render(page, fresh=page.request.query.get("invite", "")[:16])


def _count(page: Page, name: str, errors: dict[str, str]) -> int | None:
    raw = page.field(name)
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 6:
        errors[name] = page.t("console.err_number")
        return None
    return int(raw)


@routes.post("/console/invites", roles=ADMIN)
async def new_invite(page: Page) -> web.StreamResponse:
    errors: dict[str, str] = {}
    uses, days = _count(page, "uses", errors), _count(page, "days", errors)
    if errors:
        return await _render(page, status=400, errors=errors)
    me = page.me.member

    async def work(db: Repos) -> Invite:
        return await create_invite(
            db, me.org_id, page.field("role"), rank=page.field("rank") or None, uses=uses,
            valid_days=days, actor=actor(me), now=page.core.services.clock(),
        )  # fmt: skip

    try:
        invite = await page.run(work, writes=True)
    except OpError as problem:
        where = INVITE_FIELDS.get(problem.key, "role")
        return await _render(
            page, status=400, errors={where: page.t(problem.key, **problem.params)}
        )
    return page.redirect(f"{BASE}?invite={invite.code}#new-invite", page.t("console.invite_made"))


@routes.post(BASE + "/import", roles=ADMIN)
async def import_members(page: Page) -> web.StreamResponse:
    upload = page.form.get("roster")
    data = upload.file.read(ROSTER_LIMIT + 1) if isinstance(upload, web.FileField) else b""
    if not data:
        return await _render(page, status=400, errors={"roster": page.t("console.roster_missing")})
    if len(data) > ROSTER_LIMIT:
        error = page.t("console.roster_too_big", limit=ROSTER_LIMIT // 1024)
        return await _render(page, status=400, errors={"roster": error})
    try:
        rows = await asyncio.to_thread(_read, data, getattr(upload, "filename", "roster.xlsx"))
    except OpError as problem:
        error = page.t(problem.key, **problem.params)
        return await _render(page, status=400, errors={"roster": error})
    me = page.me.member
    report = await page.run(
        lambda db: import_roster(db, me.org_id, rows, actor=actor(me)), writes=True
    )
    notes = [page.t("cli.import_done", imported=len(report.imported), errors=len(report.errors))]
    notes += [
        page.t("cli.import_error", row=row, message=page.t(problem.key, **problem.params))
        for row, problem in report.errors
    ]
    kind = "error" if report.errors else "ok"
    return page.redirect(BASE + "#invites", *notes, kind=kind)


def _read(data: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(filename).name or "roster.xlsx")
        path.write_bytes(data)
        return read_xlsx(path)


@routes.post(BASE + r"/{id:\d{1,9}}/deactivate", roles=ADMIN)
async def deactivate_member(page: Page) -> web.StreamResponse:
    me = page.me.member

    async def work(db: Repos) -> str | None:
        member = await db.members.get(int(page.match("id")))
        if member is None or member.org_id != me.org_id:
            return None
        await deactivate(db, member, by=me)
        return member.name

    try:
        name = await page.run(work, writes=True)
    except OpError as problem:
        return page.redirect(BASE, page.t(problem.key, **problem.params), kind="error")
    if name is None:
        return page.not_found()
    return page.redirect(BASE, page.t("console.deactivated", name=name))
