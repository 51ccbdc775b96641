"""What the delivery and broadcast tests share (no tests here): the service with chosen
settings, many members seeded straight into the database, and figures read off the fake."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import DATABASE, DELIVERER, create_app
from config.settings import Settings
from handlers.messages import Text, to_json
from storage.db import Database
from storage.models import ChannelIdentity, Member, OutboxMessage
from storage.repos import Repos
from storage.types import utcnow
from tests.databases import migrated_sqlite
from tests.fakes import Call, FakeTelegram
from tests.telegram_fixtures import Service, _seed

FIRST_CHAT = 500_000


@asynccontextmanager
async def serving(tmp_path: Path, **settings: Any) -> AsyncIterator[Service]:
    """``running_service`` (polling), with Settings overrides such as ``send_rate``."""
    path = await migrated_sqlite(tmp_path)
    async with FakeTelegram() as fake:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        app = create_app(
            Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=f"sqlite:///{path}",
                web_port=sock.getsockname()[1],
                public_url=base,
                telegram_token=fake.token,  # type: ignore[arg-type]
                telegram_api_url=fake.url,
                telegram_bot_username=fake.username,
                **settings,
            )
        )
        org_id, codes = await app[DATABASE].run(_seed)
        runner = web.AppRunner(app, access_log=None)
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
            yield Service(fake, app, base, org_id, codes)
        finally:
            await runner.cleanup()
            sock.close()


async def seed_members(
    db: Database, org_id: int, count: int, *, first_chat: int = FIRST_CHAT, role: str = "member"
) -> dict[int, int]:
    """``count`` members, each with a Telegram account; returns member id → chat id."""

    async def add(session: AsyncSession) -> dict[int, int]:
        now = utcnow()
        people = [
            {"org_id": org_id, "name": f"成员{i}", "role": role, "active": True,
             "is_main_leader": False, "last_channel": "telegram", "created_at": now}
            for i in range(count)
        ]  # fmt: skip
        query = select(Member.id).where(Member.org_id == org_id).order_by(col(Member.id))
        before = set((await session.exec(query)).all())
        await session.exec(insert(Member).values(people))  # type: ignore[call-overload]
        ids = [i for i in (await session.exec(query)).all() if i not in before]
        chats = {member_id: first_chat + n for n, member_id in enumerate(ids)}
        await session.exec(
            insert(ChannelIdentity).values(  # type: ignore[call-overload]
                [{"channel": "telegram", "external_id": str(chat), "member_id": member_id,
                  "reachable": True, "created_at": now, "last_seen_at": now}
                 for member_id, chat in chats.items()]
            )
        )  # fmt: skip
        return chats

    return await db.run(add)


def open_chats(fake: FakeTelegram, chats: Iterable[int]) -> None:
    """Each person has written to the bot once, so the bot may write to them."""
    for chat in chats:
        fake.user(chat, f"成员{chat}").log.started = True


async def enqueue(service: Service, member_ids: Iterable[int], text: str, batch: str) -> None:
    async def add(session: AsyncSession) -> None:
        outbox = Repos(session).outbox
        for member_id in member_ids:
            payload = to_json([Text(text)])
            await outbox.enqueue(member_id, "test", payload, batch=batch)

    await service.db.run(add)
    service.app[DELIVERER].wake()


async def statuses(db: Database, batch: str) -> Counter[str]:
    async def read(session: AsyncSession) -> Counter[str]:
        query = select(OutboxMessage.status).where(OutboxMessage.batch == batch)
        return Counter((await session.exec(query)).all())

    return await db.run(read)


def received(fake: FakeTelegram, chats: Iterable[int], containing: str) -> Counter[int]:
    """How many messages containing ``containing`` each chat holds."""
    return Counter(
        chat for chat in chats for sent in fake.chats[chat].inbox if containing in sent.text
    )


def busiest_second(calls: list[Call]) -> int:
    """The most requests that arrived within any window of one second, [t, t + 1)."""
    times = sorted(c.at for c in calls)
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most
