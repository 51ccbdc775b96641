"""The scheduler's record of handled due moments, many at a time: a few statements for a
group of moments rather than several for each (handlers/schedule.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.study_models import SchedulerRun


async def claim(
    session: AsyncSession, moments: list[tuple[str, datetime, str]], ran_at: datetime
) -> set[str]:
    """Record (key, due at, outcome) of each moment; the keys that were ours to record
    (a key recorded already, by another process or an earlier run, is left alone)."""
    if not moments:
        return set()
    connection = await session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    rows = [{"key": key, "due_at": at, "ran_at": ran_at, "outcome": outcome, "recipients": 0}
            for key, at, outcome in moments]  # fmt: skip
    statement = (
        insert(SchedulerRun)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(SchedulerRun.key))
    )
    return set((await connection.execute(statement)).scalars().all())


async def unclaim(session: AsyncSession, keys: list[str]) -> None:
    """Forget these records: their moments were not handled after all (retried later)."""
    if keys:
        connection = await session.connection()
        await connection.execute(delete(SchedulerRun).where(col(SchedulerRun.key).in_(keys)))


async def count_recipients(session: AsyncSession, recipients: dict[str, int]) -> None:
    if not recipients:
        return
    connection = await session.connection()
    statement = (
        update(SchedulerRun)
        .where(col(SchedulerRun.key) == bindparam("run_key"))
        .values(recipients=bindparam("count"))
    )
    await connection.execute(statement, [{"run_key": k, "count": n} for k, n in recipients.items()])
