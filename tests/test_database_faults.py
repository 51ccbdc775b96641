"""A locked or unreachable database: retried, then a clear apology, nothing half-written."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlmodel import select

from storage.db import Database
from storage.models import Member
from tests.conftest import Unit, make_unit
from tests.databases import migrated_sqlite
from tests.transcript import Chat, make_dispatcher, make_services


async def _locked_unit(tmp_path: Path) -> tuple[Unit, Path]:
    path = await migrated_sqlite(tmp_path)
    unit = await make_unit(Database(f"sqlite:///{path}", busy_timeout_ms=50))
    return unit, path


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


async def test_locked_database_apologises_and_writes_nothing(tmp_path: Path) -> None:
    unit, path = await _locked_unit(tmp_path)
    holder = _hold_write_lock(path)
    try:
        reply = await unit.chat("t1", name="周一").say(f"/start {unit.codes['member']}")
    finally:
        holder.rollback()
        holder.close()
    assert "系统正忙" in reply and "没有保存" in reply
    members = await unit.db.run(lambda s: _all(s))
    assert [m.name for m in members] == []
    assert "欢迎" in await unit.chat("t1", name="周一").say(f"/start {unit.codes['member']}")
    await unit.db.dispose()


async def test_briefly_locked_database_is_retried(tmp_path: Path) -> None:
    unit, path = await _locked_unit(tmp_path)
    holder = _hold_write_lock(path)

    async def release_soon() -> None:
        await asyncio.sleep(0.12)
        holder.rollback()
        holder.close()

    release = asyncio.create_task(release_soon())
    reply = await unit.chat("t2", name="吴二").say(f"/start {unit.codes['member']}")
    await release
    assert "欢迎你,吴二" in reply
    await unit.db.dispose()


async def test_unreachable_postgres_gets_the_apology_in_the_members_language() -> None:
    db = Database("postgresql://postgres@127.0.0.1:1/nothing")
    chat = Chat(make_dispatcher(db, make_services()), user="p1", language="en")
    reply = await chat.say("/help")
    assert "busy" in reply and "nothing was saved" in reply
    await db.dispose()


async def _all(session: object) -> list[Member]:
    return list((await session.exec(select(Member))).all())  # type: ignore[attr-defined]
