"""The outbox: one row per (message, member), written in the transaction that causes it.

A deliverer claims due rows by pushing their ``not_before`` forward by a lease, so a
process that dies mid-send leaves them to be claimed again once the lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage, OutboxStatus
from storage.types import utcnow

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 8


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def enqueue(
        self,
        member_id: int,
        kind: str,
        payload: list[dict[str, Any]],
        *,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        batch: str | None = None,
    ) -> None:
        """Queue a message; a second row with the same ``dedupe_key`` is silently dropped."""
        values = {
            "member_id": member_id,
            "kind": kind,
            "payload": payload,
            "dedupe_key": dedupe_key,
            "batch": batch,
            "status": OutboxStatus.queued,
            "attempts": 0,
            "not_before": not_before or utcnow(),
            "created_at": utcnow(),
        }
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(OutboxMessage).values(**values)
        if dedupe_key is not None:
            statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
        await self.session.exec(statement)

    async def enqueue_many(self, rows: list[dict[str, Any]]) -> None:
        """Many messages in a few statements, for fan-outs to thousands (one
        statement per row holds SQLite's write lock for seconds at ten thousand). Each row:
        ``member_id``, ``kind``, ``payload``, optionally ``dedupe_key``, ``batch`` and
        ``not_before``; rows whose ``dedupe_key`` is taken are silently dropped."""
        if not rows:
            return
        now = utcnow()
        connection = await self.session.connection()
        insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
        # One statement with a list of parameters: SQLAlchemy sends it as multi-row INSERTs
        # ("insertmanyvalues") and compiles it once, where .values(rows) compiles each time.
        statement = insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])
        values = [
            {"member_id": row["member_id"], "kind": row["kind"], "payload": row["payload"],
             "dedupe_key": row.get("dedupe_key"), "batch": row.get("batch"),
             "not_before": row.get("not_before") or now, "status": OutboxStatus.queued,
             "attempts": 0, "created_at": now}
            for row in rows
        ]  # fmt: skip
        await connection.execute(statement, values)

    async def claim(self, limit: int, now: datetime | None = None) -> list[OutboxMessage]:
        now = now or utcnow()
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.queued, OutboxMessage.not_before <= now)
            .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list((await self.session.exec(query)).all())
        for row in rows:
            row.not_before = now + LEASE
            self.session.add(row)
        await self.session.flush()
        return rows

    async def finish(
        self, message_id: int, status: OutboxStatus, *, channel: str | None, error: str = ""
    ) -> None:
        row = await self.session.get(OutboxMessage, message_id)
        if row is None:
            return
        row.status, row.channel, row.error = status, channel, error[:200] or None
        if status == OutboxStatus.sent:
            row.sent_at = utcnow()
        self.session.add(row)

    async def retry_later(self, message_id: int, delay: float, error: str) -> None:
        row = await self.session.get(OutboxMessage, message_id)
        if row is None:
            return
        row.attempts += 1
        row.error = error[:200]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = OutboxStatus.failed
        else:
            row.not_before = utcnow() + timedelta(seconds=delay)
        self.session.add(row)

    async def counts(self, kind: str | None = None, *, batch: str | None = None) -> dict[str, int]:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        if batch is not None:
            query = query.where(OutboxMessage.batch == batch)
        return {status: n for status, n in (await self.session.exec(query)).all()}

    async def next_due(self) -> datetime | None:
        query = select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.status == OutboxStatus.queued
        )
        return (await self.session.exec(query)).one()
