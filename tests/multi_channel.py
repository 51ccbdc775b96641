"""One service running every channel at once — Telegram (the fake Bot API), WeCom and the
Official Account (the fake WeChat API) and the web chat — for members bound on several
channels and for each channel's own send rate. No tests here.

``everything`` builds the app with ``create_app`` from Settings (both APIs pointed at their
fakes), serves it on 127.0.0.1 and seeds an organization with one invite per role.
A ``Browser`` is a person in the web chat, talking to its HTTP API with a cookie of its own.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, CookieJar, web
from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import DATABASE, DELIVERER, SETTINGS, create_app
from config.i18n import default_catalog
from config.settings import Settings
from handlers.admin_ops import create_invite
from handlers.broadcasts.ops import create_broadcast, start_now
from handlers.context import Services
from handlers.schedule import job_context
from storage.db import Database
from storage.models import ChannelIdentity, Member, OutboxMessage
from storage.repos import Repos
from storage.types import utcnow
from tests.databases import migrated_sqlite
from tests.fakes import FakeTelegram
from tests.fakes.wechat_api import FakeWeChat
from tests.telegram_fixtures import Service, _seed
from tests.wechat_fixtures import WxService, wx_settings


@dataclass
class Browser:
    """A person in the web chat: what they say, the buttons shown, their pushed mail."""

    url: str
    http: ClientSession
    replies: list[dict[str, Any]] = field(default_factory=list)
    after: int = 0  # the last mail read

    async def say(self, text: str) -> str:
        return await self._send({"text": text})

    async def tap(self, label: str) -> str:
        for reply in self.replies:
            for row in reply.get("buttons", []):
                for button in row:
                    if label in (button["label"], button["payload"]):
                        return await self._send({"payload": button["payload"]})
        raise AssertionError(f"no button {label!r} in {self.buttons}")

    @property
    def buttons(self) -> list[str]:
        return [b["label"] for r in self.replies for row in r.get("buttons", []) for b in row]

    async def mail(self) -> list[str]:
        """Texts pushed to this browser since the last look."""
        async with self.http.get(f"{self.url}/api/chat/updates?after={self.after}") as answer:
            mail = (await answer.json())["mail"]
        if mail:
            self.after = mail[-1]["id"]
        return [r["text"] for m in mail for r in m["replies"] if r.get("type") == "text"]

    async def _send(self, body: dict[str, str]) -> str:
        async with self.http.post(f"{self.url}/api/chat/send", json=body) as answer:
            assert answer.status == 200, answer.status
            self.replies = (await answer.json())["replies"]
        return "\n".join(r.get("text", "") for r in self.replies)


@dataclass
class World:
    telegram: Service
    wechat: WxService
    browsers: list[Browser] = field(default_factory=list)

    @property
    def db(self) -> Database:
        return self.telegram.db

    @property
    def org_id(self) -> int:
        return self.telegram.org_id

    async def browser(self) -> Browser:
        http = ClientSession(cookie_jar=CookieJar(unsafe=True))  # the cookie of 127.0.0.1
        browser = Browser(self.telegram.url, http)
        self.browsers.append(browser)
        return browser

    async def personal_invite(self, member_id: int) -> str:
        """An invite that binds one more chat account to this member."""

        async def make(session: AsyncSession) -> str:
            repos = Repos(session)
            member = await repos.members.get(member_id)
            invite = await create_invite(repos, self.org_id, "member", member=member, actor="test")
            return invite.code

        return await self.db.run(make)

    async def member(self, channel: str, external_id: str) -> Member:
        async def look(session: AsyncSession) -> Member | None:
            repos = Repos(session)
            identity = await repos.members.identity(channel, external_id)
            return await repos.members.get(identity.member_id) if identity else None

        found = await self.db.run(look)
        assert found is not None, f"nobody on {channel} as {external_id}"
        return found

    async def broadcast(self, text: str, roles: Sequence[str] = ()) -> int:
        """A broadcast sent now, as ``python -m bot broadcast --org`` makes it."""
        zone = self.telegram.app[SETTINGS].zone
        services = Services(catalog=default_catalog(), zone=zone, default_language="zh", web_url="")

        async def make(session: AsyncSession) -> int:
            repos, now = Repos(session), utcnow()
            row = await create_broadcast(repos, org_id=self.org_id, text=text, roles=list(roles),
                                         send_at=now, now=now, actor="test")  # fmt: skip
            await start_now(job_context(repos, services), row)
            assert row.id is not None
            return row.id

        row_id = await self.db.run(make)
        self.telegram.app[DELIVERER].wake()
        return row_id

    async def outbox(self, batch_prefix: str) -> list[OutboxMessage]:
        async def read(session: AsyncSession) -> list[OutboxMessage]:
            query = select(OutboxMessage).where(col(OutboxMessage.batch).startswith(batch_prefix))
            return list((await session.exec(query)).all())

        return await self.db.run(read)


async def seed_accounts(db: Database, org_id: int, channel: str, ids: Sequence[str]) -> None:
    """Members, each with one account on ``channel`` (their last channel)."""

    async def add(session: AsyncSession) -> None:
        now = utcnow()
        for external_id in ids:
            member = Member(org_id=org_id, name=f"成员{external_id}", last_channel=channel)
            session.add(member)
            await session.flush()
            await session.exec(
                insert(ChannelIdentity).values(  # type: ignore[call-overload]
                    channel=channel, external_id=external_id, member_id=member.id,
                    reachable=True, created_at=now, last_seen_at=now,
                )
            )  # fmt: skip

    await db.run(add)


@asynccontextmanager
async def everything(tmp_path: Path, **settings: Any) -> AsyncIterator[World]:
    path = await migrated_sqlite(tmp_path)
    async with FakeTelegram() as telegram, FakeWeChat() as wechat:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        values = wx_settings(wechat, path, port, safe=False).model_dump()
        values |= {"telegram_token": telegram.token, "telegram_api_url": telegram.url,
                   "telegram_bot_username": telegram.username, **settings}  # fmt: skip
        app = create_app(Settings(_env_file=None, **values))  # type: ignore[call-arg]
        org_id, codes = await app[DATABASE].run(_seed)
        runner = web.AppRunner(app, access_log=None)
        session = ClientSession()
        world = World(
            Service(telegram, app, f"http://127.0.0.1:{port}", org_id, codes),
            WxService(wechat, app, f"http://127.0.0.1:{port}", org_id, codes, session, False),
        )
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
            yield world
        finally:
            await session.close()
            for browser in world.browsers:
                await browser.http.close()
            await runner.cleanup()
            sock.close()
