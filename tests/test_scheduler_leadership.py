"""One scheduler among several processes on one PostgreSQL (issue 9, target 7): whoever
holds the advisory lock runs it; when the holder's connection dies, another takes over
at its next try. On SQLite every process runs it (one process per database file)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bot.leadership import Leadership, lock_key
from storage.db import Database
from tests.databases import open_database


async def test_on_sqlite_every_process_runs_it(sqlite_db: Database) -> None:
    assert await Leadership(sqlite_db).holds() and await Leadership(sqlite_db).holds()


@pytest.fixture
async def pg_db(tmp_path: Path) -> AsyncIterator[Database]:
    database, schema = await open_database("postgres", tmp_path)
    yield database
    await database.dispose()
    assert schema is not None
    await schema.drop()


@pytest.mark.postgres
async def test_one_holder_and_a_takeover_when_it_dies(pg_db: Database) -> None:
    db = pg_db
    other_process = Database(db.url, schema=db.schema)
    first, second = Leadership(db, retry=0.2), Leadership(other_process, retry=0.2)
    try:
        assert await first.holds()
        assert not await second.holds()
        await asyncio.sleep(0.3)
        assert not await second.holds() and await first.holds()  # still the first's

        # The holder's process dies: PostgreSQL ends its session, and the lock with it.
        killed = await _terminate_holder(db, first.key)
        assert killed == 1
        for _ in range(20):
            await asyncio.sleep(0.1)
            if await second.holds():
                break
        assert await second.holds(), "nobody took over"
        await asyncio.sleep(0.3)
        assert not await first.holds()  # it noticed, and stands by
    finally:
        await first.release()
        await second.release()
        await other_process.dispose()


async def test_the_lock_is_per_schema() -> None:
    assert lock_key("a") != lock_key("b") and lock_key(None) == lock_key("")


async def _terminate_holder(db: Database, key: int) -> int:
    url = db.url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(url)
    try:
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF  # a bigint lock shows as two 32-bit halves
        query = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory'"
            " AND granted AND classid = $1::bigint::oid AND objid = $2::bigint::oid"
            " AND objsubid = 1"
        )
        return int(await conn.fetchval(query, unsigned >> 32, unsigned & 0xFFFF_FFFF))
    finally:
        await conn.close()
