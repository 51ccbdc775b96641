"""Alembic, driven from code: ``python -m bot migrate`` and the service's start-up use this."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

MIGRATIONS = Path(__file__).with_name("migrations")
_PG_MIGRATION_LOCK = 0x6D61_7373  # any fixed number; serializes concurrent migrators


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(db: Database, revision: str = "head") -> None:
    """Up to ``revision``; retried like any transaction when another process (a CLI
    command, the service) holds the SQLite file for a moment."""

    async def once() -> None:
        async with db.engine.connect() as conn:
            if db.is_sqlite:
                await _sqlite_foreign_keys(conn, on=False)
            try:
                async with conn.begin():
                    await conn.run_sync(_upgrade, revision, db.is_sqlite)
            finally:
                if db.is_sqlite:
                    await _sqlite_foreign_keys(conn, on=True)

    await db.retrying(once)


async def _sqlite_foreign_keys(conn: AsyncConnection, *, on: bool) -> None:
    """SQLite's batch migrations copy a table, drop it and rename the copy; with foreign
    keys enforced the drop fails once other tables refer to its rows. The pragma only
    takes effect outside a transaction, so it goes to the driver before SQLAlchemy begins
    one; afterwards every reference is checked."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    if on:
        cursor = await driver.execute("PRAGMA foreign_key_check")
        broken = await cursor.fetchall()
        if broken:
            raise RuntimeError(f"migration left broken references: {broken[:5]}")


async def downgrade(db: Database, revision: str) -> None:
    async def once() -> None:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), revision))

    await db.retrying(once)


async def current_revision(db: Database) -> str | None:
    async def once() -> str | None:
        async with db.engine.connect() as conn:
            return await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )

    return await db.retrying(once)


def _upgrade(connection: Connection, revision: str, is_sqlite: bool) -> None:
    if not is_sqlite:
        # Several service processes may start at once against one PostgreSQL.
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
    command.upgrade(alembic_config(connection), revision)
