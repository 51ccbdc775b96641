"""Which process runs the scheduler when several serve one database (README: scaling out).

PostgreSQL: the process holding a session-level advisory lock, taken on a connection kept
open for just that. When the holder dies its connection closes and the lock goes with it;
the others try for it every RETRY seconds, so one of them takes over within that. The
server is told to probe the holder's connection (TCP keepalives), so a holder whose machine
vanished without closing anything loses the lock within about KEEPALIVE_GONE seconds
too. The holder checks its connection every RETRY seconds and stands down when it broke.
Two schedulers for a moment (a holder that has not yet noticed) do no harm: every due
moment is handed over once, keyed in ``scheduler_run`` (handlers/schedule.py).

SQLite: one process per database file, by design; it always runs the scheduler.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)
RETRY = 5.0  # seconds between tries for the lock, and between the holder's checks
CHECK_TIMEOUT = 5.0
# The server drops a silent holder after idle + interval × count seconds (about 20 s).
KEEPALIVE = ("SET tcp_keepalives_idle = 5", "SET tcp_keepalives_interval = 5",
             "SET tcp_keepalives_count = 3")  # fmt: skip
KEEPALIVE_GONE = 20


def lock_key(schema: str | None) -> int:
    """A 64-bit key of our own, per schema (advisory locks are per database, and several
    deployments may share one in separate schemas)."""
    digest = hashlib.sha256(f"massline:scheduler:{schema or ''}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    def __init__(self, db: Database, *, retry: float = RETRY) -> None:
        self.db, self.retry = db, retry
        self.key = lock_key(db.schema)
        self._conn: AsyncConnection | None = None
        self._checked = 0.0
        self._told_standby = False

    @property
    def exclusive(self) -> bool:
        """Whether leadership means anything here (PostgreSQL) or is always ours (SQLite)."""
        return not self.db.is_sqlite

    async def holds(self) -> bool:
        """Whether this process should run the scheduler now: trying for the lock when it
        has none, checking its connection every ``retry`` seconds when it has."""
        if not self.exclusive:
            return True
        now = time.monotonic()
        if self._conn is not None:
            if now - self._checked < self.retry:
                return True
            self._checked = now
            try:
                await asyncio.wait_for(self._conn.execute(text("SELECT 1")), CHECK_TIMEOUT)
                return True
            except Exception as exc:
                log.warning("scheduler: lost the lock's connection (%s); standing down",
                            type(exc).__name__)  # fmt: skip
                await self._drop()
        if now - self._checked < self.retry and self._told_standby:
            return False
        self._checked = now
        return await self._try()

    async def _try(self) -> bool:
        conn: AsyncConnection | None = None
        try:
            conn = await self.db.engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for setting in KEEPALIVE:
                await conn.execute(text(setting))
            query = text("SELECT pg_try_advisory_lock(:key)")
            taken = bool((await conn.execute(query, {"key": self.key})).scalar())
        except Exception as exc:
            log.warning("scheduler: could not try for the lock (%s)", type(exc).__name__)
            taken = False
        if not taken:
            if conn is not None:
                await _close(conn)
            if not self._told_standby:
                log.info("scheduler: another process runs it; standing by")
                self._told_standby = True
            return False
        self._conn, self._told_standby = conn, False
        log.info("scheduler: this process runs it (PostgreSQL advisory lock)")
        return True

    async def release(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await _close(conn)  # the lock goes with the session


async def _close(conn: AsyncConnection) -> None:
    try:
        await conn.invalidate()  # never back to the pool: the session (and lock) must end
        await conn.close()
    except Exception:  # already broken: nothing to release
        log.debug("scheduler: the lock's connection was already gone")
