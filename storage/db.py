"""The database handle: one async engine, short transactions, and what counts as transient.

A SQLite file is driven on the event loop's own thread (storage/sqlite_inline.py): a
statement there takes microseconds, and the thread hand-offs of aiosqlite cost more CPU
than the statements (issue 9, BENCHMARKS.md). That is safe because nothing of ours ever
waits inside SQLite with the loop blocked: our transactions take turns on an asyncio lock
per file before their ``BEGIN IMMEDIATE``, and one that meets another process's lock
(a CLI command, a backup) gives up after a few milliseconds and is retried after an
asyncio sleep, for as long as its attempts, each waiting ``busy_timeout_ms``, would have.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import async_database_url
from storage.sqlite_inline import INLINE_BUSY_TIMEOUT_MS, inline_creator

T = TypeVar("T")
_PG_TRANSIENT = {"40001", "40P01", "57P01", "57P02", "57P03", "08000", "08003", "08006"}
LONGEST_WAIT = 0.5  # seconds between two tries on a SQLite file another process holds


class Database:
    def __init__(self, url: str, *, schema: str | None = None, busy_timeout_ms: int = 5000) -> None:
        self.url = async_database_url(url)
        self.schema = schema
        self.is_sqlite = self.url.startswith("sqlite")
        self.busy_timeout = busy_timeout_ms / 1000  # each attempt's wait for a locked file
        self._path: str | None = None  # a SQLite file driven in place, taking turns
        connect_args: dict[str, Any] = {}
        options: dict[str, Any] = {"hide_parameters": True}  # SQL errors must not echo values
        if self.is_sqlite:
            self._path = _ensure_parent(self.url)
            if self._path is not None:
                self._path = str(Path(self._path).resolve())
                options["async_creator"] = inline_creator(self._path)
                busy_timeout_ms = min(busy_timeout_ms, INLINE_BUSY_TIMEOUT_MS)
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
            self._turn(),
            AsyncSession(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """One transaction at a time per SQLite file in this process, queued here rather
        than in SQLite's busy handler (which would hold up the loop the holder needs). A
        transaction opened inside another by the same task goes straight on and meets
        SQLite's lock, as it always did."""
        if self._path is None:
            yield
            return
        turns = _turns_for(self._path)
        task = asyncio.current_task()
        if task is not None and task is turns.holder:
            yield
            return
        async with turns.lock:
            turns.holder = task
            try:
                yield
            finally:
                turns.holder = None

    async def run(
        self,
        work: Callable[[AsyncSession], Awaitable[T]],
        *,
        attempts: int = 4,
        first_delay: float = 0.05,
    ) -> T:
        """Run ``work`` in a transaction, retrying the whole of it on transient failures."""

        async def once() -> T:
            async with self.transaction() as session:
                return await work(session)

        return await self.retrying(once, attempts=attempts, first_delay=first_delay)

    async def retrying(
        self, work: Callable[[], Awaitable[T]], *, attempts: int = 4, first_delay: float = 0.05
    ) -> T:
        """Run ``work`` (in this process's turn on a SQLite file), again on transient
        failures. A SQLite file another process holds is waited for as long as ``attempts``
        waits of the busy timeout would have been, tried every so often with the loop free;
        for work on ``engine`` directly (migrations), which ``run`` does not cover."""
        loop = asyncio.get_running_loop()
        started, delay, attempt = loop.time(), first_delay, 0
        while True:
            attempt += 1
            try:
                async with self._turn():
                    return await work()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                waiting = self._path is not None and _locked(exc)
                patience = self.busy_timeout * attempts
                if attempt >= attempts and not (
                    waiting and loop.time() - started + delay < patience
                ):
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 3, LONGEST_WAIT) if waiting else delay * 3

    async def dispose(self) -> None:
        await self.engine.dispose()


class _Turns:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.holder: asyncio.Task[Any] | None = None


# Per event loop (tests run many), per file: every Database on one file shares its turns.
_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Turns]] = (
    weakref.WeakKeyDictionary()
)


def _turns_for(path: str) -> _Turns:
    files = _TURNS.setdefault(asyncio.get_running_loop(), {})
    turns = files.get(path)
    if turns is None:
        turns = files[path] = _Turns()
    return turns


def is_transient(exc: BaseException) -> bool:
    """Errors that a retry may cure: a locked SQLite file, a PostgreSQL that went away."""
    if isinstance(exc, OSError | ConnectionError | asyncio.TimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        if _is_sqlite_error(orig):
            return _locked(exc)
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        if code in _PG_TRANSIENT:
            return True
        return isinstance(exc, OperationalError | InterfaceError) and code is None
    return False


def _is_sqlite_error(error: object) -> bool:
    return isinstance(error, sqlite3.OperationalError) or "sqlite" in type(error).__module__


def _locked(exc: BaseException) -> bool:
    """A SQLite file locked by someone else ("database is locked", SQLITE_BUSY)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    if not _is_sqlite_error(orig):
        return False
    text = str(orig).lower()
    return "locked" in text or "busy" in text


def _ensure_parent(url: str) -> str | None:
    """The SQLite file's path (its folder created); None for a memory database or a URL
    with options, which stay on aiosqlite."""
    path = url.split(":///", 1)[-1]
    if not path or "?" in path or path == ":memory:":
        return None
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return path


def _sqlite_pragmas(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below) so that writers queue on the busy timeout
        # instead of failing when a read transaction tries to upgrade to a write.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # WAL with NORMAL: consistent after any crash, and a commit survives the service
        # crashing; only an OS crash or power cut may lose the last commits before a
        # checkpoint. FULL would fsync on every commit, ~4 ms each with the loop waiting
        # (BENCHMARKS.md); a deployment that needs more runs on PostgreSQL.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten, not left in free pages for a file reader (SPEC §6).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
