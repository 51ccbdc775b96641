"""The whole service, built by ``create_app`` with WeCom and Official Account settings,
talking to the fake WeChat API over real HTTP, and people writing to its callbacks.

``running_wx_service`` starts the fake, migrates a SQLite file, seeds an organization with
one invite per role, builds the app from Settings (the API URLs point at the fake) and
serves it on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import CHANNELS, DATABASE, DELIVERER, create_app
from bot.channels.wechat import WeChatChannel
from bot.channels.wecom import WeComChannel
from config.settings import Settings
from handlers.messages import Reply, to_json
from storage.db import Database
from storage.models import ChannelIdentity, OutboxMessage
from storage.repos import Repos
from tests.databases import migrated_sqlite
from tests.fakes.wechat_api import FakeWeChat
from tests.fakes.wechat_records import MP, WECOM
from tests.fakes.wechat_users import WxPerson
from tests.telegram_fixtures import _seed

WECOM_TOKEN = "WeComCallbackToken42"
WECHAT_TOKEN = "MpCallbackToken42"
WECOM_AES = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # WeChat's published sample key
WECHAT_AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@dataclass
class WxService:
    fake: FakeWeChat
    app: web.Application
    url: str
    org_id: int
    codes: dict[str, str]
    session: ClientSession
    safe: bool

    @property
    def db(self) -> Database:
        return self.app[DATABASE]

    @property
    def wecom(self) -> WeComChannel:
        channel = self.app[CHANNELS]["wecom"]
        assert isinstance(channel, WeComChannel)
        return channel

    @property
    def wechat(self) -> WeChatChannel:
        channel = self.app[CHANNELS]["wechat"]
        assert isinstance(channel, WeChatChannel)
        return channel

    def wecom_person(self, user: str) -> WxPerson:
        return WxPerson(
            self.fake,
            WECOM,
            user,
            service_url=self.url,
            token=WECOM_TOKEN,
            aes_key=WECOM_AES,
            session=self.session,
        )

    def mp_person(self, openid: str) -> WxPerson:
        return WxPerson(
            self.fake,
            MP,
            openid,
            service_url=self.url,
            token=WECHAT_TOKEN,
            aes_key=WECHAT_AES if self.safe else None,
            session=self.session,
        )

    async def joined(self, person: WxPerson, name: str = "张三", role: str = "member") -> None:
        """Join with an invite code (WeChat tells us no name, so the bot asks for it)."""
        await person.say(f"加入 {self.codes[role]}")
        await person.expect_text("姓名")
        await person.say(name)
        await person.expect_text("身份是")

    def templates(self, templates: Mapping[str, str]) -> None:
        channel = self.wechat
        channel.config = replace(channel.config, templates=dict(templates))

    async def identity(self, channel: str, user: str) -> ChannelIdentity | None:
        async def look(session: AsyncSession) -> ChannelIdentity | None:
            return await Repos(session).members.identity(channel, user)

        return await self.db.run(look)

    async def push(self, channel: str, user: str, replies: list[Reply], kind: str = "test") -> int:
        """Queue a message for this person's member in the outbox; wake the deliverer."""
        identity = await self.identity(channel, user)
        assert identity is not None, "push to someone who joined"
        member_id = identity.member_id

        async def enqueue(session: AsyncSession) -> int:
            await Repos(session).outbox.enqueue(member_id, kind, to_json(replies))
            query = select(OutboxMessage).where(OutboxMessage.member_id == member_id)
            return max(row.id or 0 for row in (await session.exec(query)).all())

        row_id = await self.db.run(enqueue)
        self.app[DELIVERER].wake()
        return row_id

    async def outbox_row(self, row_id: int) -> OutboxMessage | None:
        return await self.db.run(lambda session: session.get(OutboxMessage, row_id))


def wx_settings(fake: FakeWeChat, path: Path, port: int, *, safe: bool, **more: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}",
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
        wecom_corp_id=fake.corp_id,
        wecom_agent_id=str(fake.agent_id),
        wecom_secret=fake.corp_secret,  # type: ignore[arg-type]
        wecom_token=WECOM_TOKEN,  # type: ignore[arg-type]
        wecom_aes_key=WECOM_AES,  # type: ignore[arg-type]
        wecom_api_url=fake.wecom_url,
        wechat_app_id=fake.app_id,
        wechat_app_secret=fake.app_secret,  # type: ignore[arg-type]
        wechat_token=WECHAT_TOKEN,  # type: ignore[arg-type]
        wechat_aes_key=WECHAT_AES if safe else None,  # type: ignore[arg-type]
        wechat_api_url=fake.mp_url,
        **more,
    )


@asynccontextmanager
async def running_wx_service(tmp_path: Path, *, safe: bool = False) -> AsyncIterator[WxService]:
    path = await migrated_sqlite(tmp_path)
    async with FakeWeChat() as fake:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        app = create_app(wx_settings(fake, path, port, safe=safe))
        org_id, codes = await app[DATABASE].run(_seed)
        runner = web.AppRunner(app, access_log=None)
        session = ClientSession()
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
            service = WxService(fake, app, f"http://127.0.0.1:{port}", org_id, codes, session, safe)
            service.wechat.follow_up_delay = 0.05
            yield service
        finally:
            await session.close()  # people hang up first: the server need not wait for them
            await runner.cleanup()
            sock.close()
