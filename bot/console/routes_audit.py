"""The audit log: who changed what, from the chat, the console or the command line, in the
organizations this person may see, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlmodel import col, select

from bot.console.page import Page
from bot.console.routing import AUDITORS, RouteTable
from storage.models import AuditEntry, Member
from storage.repos import Repos

routes = RouteTable()
LIMIT = 300
HIDDEN = frozenset({"via"})


@dataclass(frozen=True)
class Line:
    at: datetime
    who: str
    action: str
    org: str
    detail: str
    via: str


@routes.get("/console/audit", roles=AUDITORS)
async def audit(page: Page) -> web.StreamResponse:
    orgs = {o.id: o.name for o in page.me.orgs}

    async def read(db: Repos) -> list[Line]:
        entries = await db.audit.recent(page.me.org_ids, limit=LIMIT)
        ids = {int(e.actor[7:]) for e in entries if _member_id(e.actor)}
        query = select(Member.id, Member.name).where(col(Member.id).in_(ids))
        names = dict((await db.session.exec(query)).all()) if ids else {}
        return [_line(page, e, names, orgs) for e in entries]

    return page.render("audit.html", lines=await page.run(read))


def _member_id(text: str) -> bool:
    return text.startswith("member:") and text[7:].isdigit()


def _line(page: Page, entry: AuditEntry, names: dict[int, str], orgs: dict) -> Line:
    who = entry.actor
    if _member_id(who):
        who = names.get(int(who[7:]), who)
    else:
        key = f"console.actor.{who}"
        who = page.t(key) if page.core.services.catalog.has(key) else who
    key = "console.action." + entry.action.replace(".", "_")
    action = page.t(key) if page.core.services.catalog.has(key) else entry.action
    detail = "; ".join(f"{k}={v}" for k, v in entry.detail.items() if k not in HIDDEN)
    via = page.t("console.via_console") if entry.detail.get("via") == "console" else ""
    return Line(entry.at, who, action, orgs.get(entry.org_id, ""), detail, via)
