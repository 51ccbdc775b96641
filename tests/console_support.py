"""What the console tests share: the real app (with the console mounted) over a demo
database on a local port, console passwords for the demo's people, a second organization
to prove that one unit sees nothing of another, and an HTTP client that logs in."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from argon2 import PasswordHasher
from sqlmodel import select

from bot.app import DATABASE, DELIVERER, DISPATCHER, create_app
from bot.console import Console
from config.settings import Settings
from handlers.admin_ops import create_invite, create_org
from handlers.console_ops import logins
from handlers.console_ops.logins import console_user
from handlers.demo import seed_demo
from handlers.study.checkin import new_secret
from storage.examine_models import Survey, SurveyStatus
from storage.ledger_models import Bulletin, RectificationItem
from storage.models import Member, Role
from storage.opinion_models import Opinion, OpinionMessage, Side
from storage.repos import Repos
from storage.study_models import Deadline, StudySession
from tests.databases import migrated_sqlite

PASSWORD = "gongzuo-2026!"
# Cheap hashes keep the suite fast; production's cost is in handlers/console_ops/logins.py.
logins._hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
# Who logs in: (org key, role, name). The demo unit is "own"; "other" is a second unit.
PEOPLE = {
    "admin": ("unit", Role.admin, "周敏"),
    "leader": ("unit", Role.leader, "陈建国"),
    "supervisor": ("county", Role.supervisor, "许振华"),
    "other_admin": ("other", Role.admin, "外单位活动办"),
    "other_leader": ("other", Role.leader, "外单位领导"),
}
CSRF = re.compile(r'<meta name="csrf" content="([^"]*)">')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


@dataclass
class Site:
    url: str
    app: web.Application
    orgs: dict[str, int]  # unit, county, other
    members: dict[str, int]  # the PEOPLE, and "cadre", "member"
    refs: dict[str, Any]  # ids of things in each organization

    async def run(self, work: Any) -> Any:
        return await self.app[DATABASE].run(lambda s: work(Repos(s)))


def mount_console(app: web.Application) -> None:
    """Mount the console unless create_app already does."""
    if any(r.resource and r.resource.canonical == "/console" for r in app.router.routes()):
        return
    services = app[DISPATCHER].services
    Console(app[DATABASE], services, on_queued=app[DELIVERER].wake).add_routes(app)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _seed(db: Repos) -> tuple[dict[str, int], dict[str, int], dict[str, Any]]:
    demo = await seed_demo(db, date.today())
    unit = await db.orgs.get(demo.org_id)
    assert unit is not None and unit.parent_id is not None
    other = await create_org(db, "外县审计局", actor="test")
    orgs = {"unit": demo.org_id, "county": unit.parent_id, "other": other.id or 0}
    members: dict[str, int] = {}
    for key, (org, role, name) in PEOPLE.items():
        member, _ = await console_user(db, orgs[org], role, name, PASSWORD, actor="test")
        members[key] = member.id or 0
    for role, name in (("cadre", "刘洋"), ("member", "赵晓雪")):
        found = (await db.session.exec(select(Member).where(Member.name == name))).one()
        members[role] = found.id or 0
    other_author = await db.members.add(Member(org_id=orgs["other"], name="外单位群众"))
    opinion = await db.opinions.add(
        Opinion(org_id=orgs["other"], author_id=other_author.id, target="general",
                category="formalism"),
        OpinionMessage(opinion_id=0, side=Side.author, text="外单位的意见",
                       sender_id=other_author.id),
    )  # fmt: skip
    item = await db.ledger.add(
        RectificationItem(org_id=orgs["other"], content="外单位的整改事项", goal="目标",
                          measures="措施", deadline=date(2030, 1, 1),
                          leader_id=members["other_leader"], person_id=members["other_leader"])
    )  # fmt: skip
    other_invite = await create_invite(db, orgs["other"], "member", actor="test")
    own_invite = await create_invite(db, orgs["unit"], "member", actor="test")
    own_items = await db.ledger.items([orgs["unit"]])
    assigned = await db.opinions.named_inbox(orgs["unit"], assignee_id=members["leader"])
    refs = {
        "own_opinion": f"n{assigned[0].id}",
        "other_opinion": f"n{opinion.id}",
        "own_item": own_items[0].id,
        "other_item": item.id,
        "own_member": members["member"],
        "other_member": other_author.id,
        "own_invite": own_invite.id,
        "other_invite": other_invite.id,
        "own_org": orgs["unit"],
        "other_org": orgs["other"],
    }
    for scope, words in (("own", "本单位"), ("other", "外单位")):
        refs.update(await _things(db, scope, words, orgs["unit" if scope == "own" else "other"]))
    return orgs, members, refs


async def _things(db: Repos, scope: str, words: str, org_id: int) -> dict[str, int]:
    """A study session, a deadline, a survey and a bulletin in the organization."""
    now = datetime.combine(date.today(), time(10), tzinfo=ZoneInfo("Asia/Shanghai"))
    session = await db.study.add(StudySession(
        org_id=org_id, title=f"{words}的集中学习", place="会议室", checkin_secret=new_secret(),
        starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=2)))  # fmt: skip
    deadline = await db.study.add(Deadline(
        org_id=org_id, kind="self_exam", title=f"{words}的对照检查材料",
        due_at=now + timedelta(days=9), audience={"roles": [Role.leader]}))  # fmt: skip
    survey = await db.surveys.add(Survey(
        org_id=org_id, title=f"{words}的测评", template="effect", opens_at=now,
        closes_at=now + timedelta(days=7), status=SurveyStatus.open), [])  # fmt: skip
    bulletin = await db.ledger.add_bulletin(Bulletin(
        org_id=org_id, month=f"{now:%Y-%m}", text=f"{words}的月通报\n整改事项共 1 项。",
        workbook=b"PK\x03\x04"))  # fmt: skip
    return {f"{scope}_session": session.id or 0, f"{scope}_deadline": deadline.id or 0,
            f"{scope}_survey": survey.id or 0, f"{scope}_bulletin": bulletin.id or 0}  # fmt: skip


@asynccontextmanager
async def running_site(tmp_path: Path) -> AsyncIterator[Site]:
    path = await migrated_sqlite(tmp_path)
    port = free_port()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}",
        web_port=port,
        telegram_token=None,
    )
    app = create_app(settings)
    mount_console(app)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        orgs, members, refs = await app[DATABASE].run(lambda s: _seed(Repos(s)))
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        yield Site(f"http://127.0.0.1:{port}", app, orgs, members, refs)
    finally:
        await runner.cleanup()


class Browser:
    """An HTTP client with its own cookie jar, like one browser."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.http = aiohttp.ClientSession(
            base_url=site.url, cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        self.csrf = ""

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str, **kw: Any) -> tuple[int, str, aiohttp.ClientResponse]:
        async with self.http.get(path, allow_redirects=False, **kw) as response:
            body = await response.text() if response.content_type.startswith("text") else ""
            if found := CSRF.search(body):
                self.csrf = found.group(1) or self.csrf
            return response.status, body, response

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: str | None = None, **kw: Any
    ) -> tuple[int, str, aiohttp.ClientResponse]:
        form = dict(data or {})
        if csrf is None:
            csrf = self.csrf
        if csrf:
            form.setdefault("csrf", csrf)
        async with self.http.post(path, data=form, allow_redirects=False, **kw) as response:
            body = await response.text()
            if found := CSRF.search(body):
                self.csrf = found.group(1) or self.csrf
            return response.status, body, response

    async def login(self, who: str, password: str = PASSWORD) -> int:
        await self.get("/console/login")
        status, _, response = await self.post(
            "/console/login", {"name": PEOPLE[who][2], "password": password}
        )
        if status == 303:
            await self.get(response.headers["Location"])
        return status

    def cookie(self, name: str) -> str | None:
        for cookie in self.http.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None
