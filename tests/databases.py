"""Test databases: a migrated SQLite file per test, or a fresh PostgreSQL schema per test.

PostgreSQL comes from MASSLINE_TEST_POSTGRES_URL; when that is unset we try the local
default and skip with a reason if nothing answers. When it *is* set, failing to connect
is an error, never a skip: CI must not silently lose the PostgreSQL half of the suite.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from storage.db import Database
from storage.migrate import upgrade

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
_pg_checked: dict[str, str | None] = {}


def postgres_url() -> str:
    """The PostgreSQL URL to test against, or pytest.skip with the reason."""
    url = os.environ.get("MASSLINE_TEST_POSTGRES_URL")
    required = bool(url)
    url = url or DEFAULT_PG
    if url not in _pg_checked:
        _pg_checked[url] = _probe(url)
    problem = _pg_checked[url]
    if problem is not None:
        if required:
            pytest.fail(f"MASSLINE_TEST_POSTGRES_URL={url} is set but unusable: {problem}")
        pytest.skip(
            f"no PostgreSQL at {url} ({problem}); set MASSLINE_TEST_POSTGRES_URL to run these"
        )
    return url


def _probe(url: str) -> str | None:
    async def attempt() -> None:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=3)
        await conn.close()

    try:
        # Called from inside the test's event loop, so probe on a thread with its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, attempt()).result()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


class PostgresSchema:
    """A throwaway schema on the test server, so tests never see each other's rows."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"t_{secrets.token_hex(6)}"

    async def create(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(f'CREATE SCHEMA "{self.name}"')
        finally:
            await conn.close()

    async def drop(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        finally:
            await conn.close()


_template: Path | None = None


async def migrated_sqlite(directory: Path) -> Path:
    """A migrated database file; migrating once per run and copying keeps the suite fast."""
    global _template
    if _template is None or not _template.exists():
        base = directory.parent / "template.db"
        db = Database(f"sqlite:///{base}")
        await upgrade(db)
        await db.dispose()
        _template = base
    target = directory / "massline.db"
    shutil.copyfile(_template, target)
    return target


async def open_database(kind: str, tmp_path: Path) -> tuple[Database, PostgresSchema | None]:
    if kind == "sqlite":
        path = await migrated_sqlite(tmp_path)
        return Database(f"sqlite:///{path}"), None
    schema = PostgresSchema(postgres_url())
    await schema.create()
    db = Database(schema.url, schema=schema.name)
    await upgrade(db)
    return db, schema
