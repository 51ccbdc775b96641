"""SQLite run on the event loop's thread (storage/sqlite_inline.py): our own transactions
take turns without ever holding up the loop, and a file locked by another process is
waited for with the loop free, then written."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from tests.databases import migrated_sqlite


async def _ticks_while(work: asyncio.Future[object] | asyncio.Task[object]) -> int:
    """How often a 10 ms ticker ran while ``work`` was going on: the loop's freedom."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.01)
        ticks += 1
    return ticks


async def _write(db: Database, name: str, hold: float = 0.0) -> None:
    async def work(session: AsyncSession) -> None:
        await session.exec(text("INSERT INTO audit_entry (at, actor, action, detail) "  # type: ignore[call-overload]
                                "VALUES (CURRENT_TIMESTAMP, :name, 'test', '{}')"),
                           params={"name": name})  # fmt: skip
        await asyncio.sleep(hold)  # the transaction stays open, as one awaiting the network

    await db.run(work)


async def _actors(db: Database) -> list[str]:
    async def read(session: AsyncSession) -> list[str]:
        rows = await session.exec(text("SELECT actor FROM audit_entry ORDER BY id"))  # type: ignore[call-overload]
        return [row[0] for row in rows]

    return await db.run(read)


async def test_transactions_take_turns_with_the_loop_free(tmp_path: Path) -> None:
    path = await migrated_sqlite(tmp_path)
    # Two handles on one file, each giving a lock it meets 50 ms: our own transactions
    # queue for their turn instead, however long the one before them takes.
    db = Database(f"sqlite:///{path}", busy_timeout_ms=50)
    twin = Database(f"sqlite:///{path}", busy_timeout_ms=50)
    try:
        first = asyncio.create_task(_write(db, "first", hold=1.0))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(_write(twin, "second"))
        third = asyncio.create_task(_write(db, "third"))
        all_three = asyncio.gather(first, second, third)
        assert await _ticks_while(all_three) >= 20  # a second of waiting, the loop free
        await all_three
        assert await _actors(db) == ["first", "second", "third"]
    finally:
        await db.dispose()
        await twin.dispose()


async def test_a_file_another_process_holds_is_waited_for_with_the_loop_free(
    tmp_path: Path,
) -> None:
    path = await migrated_sqlite(tmp_path)
    db = Database(f"sqlite:///{path}")  # waits 4 x its busy timeout of 5 s, in all
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        writing = asyncio.create_task(_write(db, "patient"))
        waited = asyncio.create_task(asyncio.sleep(0.6))
        assert await _ticks_while(waited) >= 30  # 0.6 s held: the loop kept ticking
        assert not writing.done()
        holder.rollback()
        await asyncio.wait_for(writing, 5)
        assert await _actors(db) == ["patient"]
    finally:
        holder.close()
        await db.dispose()
