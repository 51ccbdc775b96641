from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from handlers.admin_ops import create_invite, create_org
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from storage.db import Database
from storage.repos import Repos
from tests.databases import open_database
from tests.transcript import Chat, Clock, make_dispatcher, make_services

ENGINES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database on each engine in turn."""
    database, schema = await open_database(request.param, tmp_path)
    try:
        yield database
    finally:
        await database.dispose()
        if schema is not None:
            await schema.drop()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database, _ = await open_database("sqlite", tmp_path)
    yield database
    await database.dispose()


@dataclass
class Unit:
    """A small organization with an invite per role, ready for conversations."""

    db: Database
    services: Services
    dispatcher: Dispatcher
    clock: Clock
    org_id: int
    codes: dict[str, str]

    def chat(self, user: str = "u1", *, name: str | None = "张三", **kw: object) -> Chat:
        return Chat(self.dispatcher, user=user, name=name, **kw)  # type: ignore[arg-type]

    async def joined(self, role: str = "member", user: str = "u1", name: str = "张三") -> Chat:
        chat = self.chat(user, name=name)
        await chat.say(f"/start {self.codes[role]}")
        assert "欢迎" in chat.text, chat.text
        return chat


async def make_unit(database: Database) -> Unit:
    clock = Clock()
    services = make_services(clock)

    async def seed(session: object) -> tuple[int, dict[str, str]]:
        repos = Repos(session)  # type: ignore[arg-type]
        org = await create_org(repos, "测试规划局", actor="test")
        codes = {}
        for role in ("member", "cadre", "leader", "admin", "supervisor"):
            invite = await create_invite(repos, org.id, role, actor="test")  # type: ignore[arg-type]
            codes[role] = invite.code
        return org.id, codes  # type: ignore[return-value]

    org_id, codes = await database.run(seed)
    return Unit(database, services, make_dispatcher(database, services), clock, org_id, codes)


@pytest.fixture
async def unit(sqlite_db: Database) -> Unit:
    return await make_unit(sqlite_db)


@pytest.fixture
async def unit_on_each(db: Database) -> Unit:
    return await make_unit(db)


@dataclass
class Demo:
    """The demo unit (30 people, departments, a leadership team, a stage calendar)."""

    db: Database
    services: Services
    dispatcher: Dispatcher
    clock: Clock
    org_id: int
    codes: dict[str, str]

    async def person(self, role: str, user: str) -> Chat:
        """The demo persona of this role, in chat ``user`` (joining if not yet joined)."""
        chat = Chat(self.dispatcher, user=user, name=None)
        await chat.say(f"/start {self.codes[role]}")
        assert "欢迎" in chat.text or "已经以" in chat.text, chat.text
        return chat

    async def newcomer(self, user: str, name: str, role: str = "member") -> Chat:
        """Someone else of the unit, joining with a fresh invite of their own."""

        async def make(session: object) -> str:
            invite = await create_invite(Repos(session), self.org_id, role, actor="test")  # type: ignore[arg-type]
            return invite.code

        chat = Chat(self.dispatcher, user=user, name=name)
        await chat.say(f"/start {await self.db.run(make)}")
        assert "欢迎" in chat.text, chat.text
        return chat

    async def run_jobs(self) -> dict[str, int]:
        from handlers.opinions.jobs import run_due

        return await self.db.run(lambda s: run_due(Repos(s), self.services, self.clock()))

    async def outbox(self) -> list[tuple[int, str, str]]:
        """(member id, kind, text) of every queued push, oldest first."""
        from sqlmodel import select

        from storage.models import OutboxMessage

        async def read(session: object) -> list[tuple[int, str, str]]:
            rows = await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))  # type: ignore[attr-defined]
            return [(r.member_id, r.kind, r.payload[0]["text"]) for r in rows.all()]

        return await self.db.run(read)


@pytest.fixture
async def demo(sqlite_db: Database) -> Demo:
    from handlers.demo import seed_demo

    clock = Clock()
    services = make_services(clock)
    found = await sqlite_db.run(lambda s: seed_demo(Repos(s), clock().date(), opinions=False))
    return Demo(
        sqlite_db,
        services,
        make_dispatcher(sqlite_db, services),
        clock,
        found.org_id,
        found.invites,
    )
