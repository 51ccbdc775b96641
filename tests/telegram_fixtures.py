"""The whole service, built by ``create_app``, talking to the fake Bot API over real HTTP.

``running_service`` starts the fake, migrates a SQLite file, seeds an organization with one
invite per role, builds the app from Settings and serves it on 127.0.0.1 (its
cleanup_ctx starts python-telegram-bot: polling, or our webhook when ``webhook=True``).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import CHANNELS, DATABASE, DELIVERER, create_app
from bot.channels.telegram import TelegramChannel
from config.settings import Settings
from handlers.admin_ops import create_invite, create_org
from handlers.messages import Reply, to_json
from storage.db import Database
from storage.models import ChannelIdentity, Member, OutboxMessage
from storage.repos import Repos
from tests.databases import migrated_sqlite
from tests.fakes import FakeTelegram, FakeUser

T = TypeVar("T")
WEBHOOK_SECRET = "Webhook_secret-for-tests_42"
ORG_NAME = "测试规划局"
ROLES = ("member", "cadre", "admin")


@dataclass
class Service:
    fake: FakeTelegram
    app: web.Application
    url: str  # our own web server, e.g. the webhook is at url + "/telegram/webhook"
    org_id: int
    codes: dict[str, str]  # one invite per role, unlimited uses

    @property
    def db(self) -> Database:
        return self.app[DATABASE]

    @property
    def channel(self) -> TelegramChannel:
        channel = self.app[CHANNELS]["telegram"]
        assert isinstance(channel, TelegramChannel)
        return channel

    async def invite(self, role: str = "member", **options: Any) -> str:
        async def make(session: AsyncSession) -> str:
            found = await create_invite(Repos(session), self.org_id, role, actor="test", **options)
            return found.code

        return await self.db.run(make)

    async def joined(self, user_id: int, first_name: str = "张三", role: str = "member",
                     **who: Any) -> FakeUser:  # fmt: skip
        """A person who has joined through Telegram, their welcome already read."""
        user = self.fake.user(user_id, first_name, **who)
        await user.say(f"/start {self.codes[role]}")
        english = str(who.get("language_code") or "").startswith("en")
        await user.expect_text("Welcome" if english else "欢迎")
        return user

    async def identity(self, user: FakeUser) -> ChannelIdentity | None:
        async def look(session: AsyncSession) -> ChannelIdentity | None:
            return await Repos(session).members.identity("telegram", str(user.id))

        return await self.db.run(look)

    async def member(self, user: FakeUser) -> Member | None:
        identity = await self.identity(user)
        if identity is None:
            return None
        member_id = identity.member_id
        return await self.db.run(lambda session: Repos(session).members.get(member_id))

    async def push(self, user: FakeUser, replies: list[Reply], kind: str = "test") -> int:
        """Queue a proactive message for this member in the outbox; wake the deliverer."""
        member = await self.member(user)
        assert member is not None and member.id is not None, "push to someone who joined"
        member_id = member.id

        async def enqueue(session: AsyncSession) -> int:
            await Repos(session).outbox.enqueue(member_id, kind, to_json(replies))
            query = select(OutboxMessage).where(OutboxMessage.member_id == member_id)
            rows = (await session.exec(query)).all()
            return max(row.id or 0 for row in rows)

        row_id = await self.db.run(enqueue)
        self.app[DELIVERER].wake()
        return row_id

    async def outbox_row(self, row_id: int) -> OutboxMessage | None:
        return await self.db.run(lambda session: session.get(OutboxMessage, row_id))


async def _seed(session: AsyncSession) -> tuple[int, dict[str, str]]:
    repos = Repos(session)
    org = await create_org(repos, ORG_NAME, actor="test")
    assert org.id is not None
    codes = {}
    for role in ROLES:
        codes[role] = (await create_invite(repos, org.id, role, actor="test")).code
    return org.id, codes


@asynccontextmanager
async def running_service(tmp_path: Path, *, webhook: bool = False) -> AsyncIterator[Service]:
    path = await migrated_sqlite(tmp_path)
    async with FakeTelegram() as fake:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))  # bound now, so the webhook URL can name its port
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite:///{path}",
            web_port=sock.getsockname()[1],
            public_url=base,
            telegram_token=fake.token,  # type: ignore[arg-type]
            telegram_api_url=fake.url,
            telegram_bot_username=fake.username,
            telegram_webhook_url=f"{base}/telegram/webhook" if webhook else None,
            telegram_webhook_secret=WEBHOOK_SECRET if webhook else None,  # type: ignore[arg-type]
        )
        app = create_app(settings)
        org_id, codes = await app[DATABASE].run(_seed)
        runner = web.AppRunner(app, access_log=None)
        try:
            await runner.setup()  # cleanup_ctx: database, channels (PTB starts), delivery
            site = web.SockSite(runner, sock)
            await site.start()
            yield Service(fake, app, base, org_id, codes)
        finally:
            await runner.cleanup()
            sock.close()


async def eventually(check: Callable[[], Awaitable[T | None]], within: float = 5.0) -> T:
    """Poll ``check`` until it returns something truthy (for state the bot writes later)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (value := await check()):
        if loop.time() > deadline:
            raise AssertionError(f"not so after {within}s: {check.__doc__ or check}")
        await asyncio.sleep(0.05)
    return value
