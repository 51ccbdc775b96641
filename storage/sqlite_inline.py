"""SQLite on the event loop's own thread, for SQLAlchemy's async engine (issue 9).

aiosqlite runs every call on a thread of its own and hands the result back through the
event loop: a cursor, an execute, a fetch and a close are four round trips between two
threads for each statement, and on a busy core those hand-offs cost more CPU than SQLite
itself (bench/statements.py; BENCHMARKS.md). A statement on a local SQLite file takes
microseconds, so this shim runs it where it is asked for, behind aiosqlite's interface,
and SQLAlchemy's aiosqlite dialect drives it unchanged through ``async_creator``:

    create_async_engine("sqlite+aiosqlite:///path", async_creator=inline_creator(path))

What makes blocking the loop safe is storage/db.py: in-process transactions take turns
on an asyncio lock before their BEGIN, so none ever waits on SQLite's lock held by
another of ours; only another process (a CLI command, a backup) can make one wait, and
then for at most the short busy timeout set here before the database's own retry (with
an asyncio sleep, the loop free) takes over.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

INLINE_BUSY_TIMEOUT_MS = 20


class InlineCursor:
    """aiosqlite.Cursor's coroutine interface over a sqlite3 cursor, run in place."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)  # type: ignore[arg-type]
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> InlineCursor:
        self._cursor.executemany(sql, parameters)  # type: ignore[arg-type]
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _CursorOpening:
    """What ``connection.cursor()`` returns: awaitable and an async context manager."""

    __slots__ = ("_cursor",)

    def __init__(self, cursor: InlineCursor) -> None:
        self._cursor = cursor

    def __await__(self) -> Any:
        return self.__aenter__().__await__()

    async def __aenter__(self) -> InlineCursor:
        return self._cursor

    async def __aexit__(self, *_exc: object) -> None:
        await self._cursor.close()


class _InPlace:
    """Stands in for aiosqlite's queue to its thread: SQLAlchemy's dialect sets the
    isolation level by queueing a call there and awaiting the future; we run it now."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # handed to whoever awaits the future, as aiosqlite does
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection:
    """aiosqlite.Connection's interface, as far as SQLAlchemy uses it, run in place."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection: sqlite3.Connection | None = connection
        self._tx = _InPlace()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("no active connection")
        return self._connection

    def __await__(self) -> Any:
        async def itself() -> InlineConnection:
            return self

        return itself().__await__()

    def cursor(self) -> _CursorOpening:
        return _CursorOpening(InlineCursor(self._conn.cursor()))

    async def execute(self, sql: str, parameters: Iterable[Any] = ()) -> InlineCursor:
        return InlineCursor(self._conn.execute(sql, parameters))  # type: ignore[arg-type]

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def stop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction


def inline_creator(path: str) -> Callable[[], InlineConnection]:
    """SQLAlchemy's ``async_creator`` for the SQLite file at ``path``."""

    def connect() -> InlineConnection:
        connection = sqlite3.connect(
            path, timeout=INLINE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        return InlineConnection(connection)

    return connect
