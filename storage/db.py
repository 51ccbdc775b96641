"""The database handle: one async engine, short transactions, and what counts as transient."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import async_database_url

T = TypeVar("T")
_PG_TRANSIENT = {"40001", "40P01", "57P01", "57P02", "57P03", "08000", "08003", "08006"}


class Database:
    def __init__(self, url: str, *, schema: str | None = None, busy_timeout_ms: int = 5000) -> None:
        self.url = async_database_url(url)
        self.schema = schema
        self.is_sqlite = self.url.startswith("sqlite")
        connect_args: dict[str, Any] = {}
        options: dict[str, Any] = {"hide_parameters": True}  # SQL errors must not echo values
        if self.is_sqlite:
            _ensure_parent(self.url)
        else:
            options.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
            if schema:
                connect_args["server_settings"] = {"search_path": schema}
        self.engine: AsyncEngine = create_async_engine(
            self.url, connect_args=connect_args, **options
        )
        if self.is_sqlite:
            _sqlite_pragmas(self.engine, busy_timeout_ms)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back when it raises."""
        async with (
            AsyncSession(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    async def run(
        self,
        work: Callable[[AsyncSession], Awaitable[T]],
        *,
        attempts: int = 4,
        first_delay: float = 0.05,
    ) -> T:
        """Run ``work`` in a transaction, retrying the whole of it on transient failures."""
        delay = first_delay
        for attempt in range(1, attempts + 1):
            try:
                async with self.transaction() as session:
                    return await work(session)
            except Exception as exc:
                if attempt == attempts or not is_transient(exc):
                    raise
            await asyncio.sleep(delay)
            delay *= 3
        raise AssertionError("unreachable")

    async def dispose(self) -> None:
        await self.engine.dispose()


def is_transient(exc: BaseException) -> bool:
    """Errors that a retry may cure: a locked SQLite file, a PostgreSQL that went away."""
    if isinstance(exc, OSError | ConnectionError | asyncio.TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        if isinstance(orig, sqlite3.OperationalError) or "sqlite" in type(orig).__module__:
            text = str(orig).lower()
            return "locked" in text or "busy" in text
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if code in _PG_TRANSIENT:
            return True
        return isinstance(exc, OperationalError | InterfaceError) and code is None
    return False


def _ensure_parent(url: str) -> None:
    path = url.split(":///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below) so that writers queue on the busy timeout
        # instead of failing when a read transaction tries to upgrade to a write.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten, not left in free pages for a file reader (SPEC §6).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
