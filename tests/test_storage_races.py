"""Two transactions at once doing the same first-time write (issue 9: updates are handled
several at a time, and on PostgreSQL several processes serve one database): both succeed
and agree, on SQLite (where our transactions take turns) and on PostgreSQL (where they
overlap)."""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.anonymity import receipt_salt
from storage.db import Database


async def test_two_first_anonymous_opinions_at_once_share_one_salt(db: Database) -> None:
    first_has_it = asyncio.Event()

    async def first(session: AsyncSession) -> bytes:
        salt = await receipt_salt(session)  # inserted, not yet committed
        first_has_it.set()
        await asyncio.sleep(0.3)  # the second meets this row's lock meanwhile
        return salt

    async def second(session: AsyncSession) -> bytes:
        await first_has_it.wait()
        return await receipt_salt(session)

    # On PostgreSQL the two overlap; on SQLite the second begins once the first is done.
    made, found = await asyncio.gather(db.run(first), db.run(second))
    assert made == found
    assert await db.run(receipt_salt) == made
