"""Migrations are the only way the schema is made, and they match the models exactly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.all_models  # noqa: F401
from storage.db import Database
from storage.migrate import current_revision, downgrade, head_revision, upgrade


async def test_schema_matches_models_on_every_engine(db: Database) -> None:
    assert await current_revision(db) == head_revision()
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), SQLModel.metadata
            )
        )
    assert diff == [], f"models and migrations disagree; write a migration: {diff}"


async def test_downgrade_to_base_and_back(db: Database) -> None:
    await downgrade(db, "base")
    assert await current_revision(db) is None
    await upgrade(db)
    assert await current_revision(db) == head_revision()


async def test_upgrade_keeps_a_populated_database(db: Database) -> None:
    """SQLite rebuilds tables on ALTER; a database full of rows must survive every step."""
    from sqlalchemy import text

    await downgrade(db, "0001")
    rows = [
        "INSERT INTO organization (id, name, kind, is_demo, created_at) "
        "VALUES (1, '规划局', 'unit', false, '2026-01-01 00:00:00')",
        "INSERT INTO department (id, org_id, name) VALUES (1, 1, '办公室')",
        "INSERT INTO member (id, org_id, name, role, department_id, is_main_leader, active, "
        "created_at) VALUES (1, 1, '张三', 'member', 1, false, true, '2026-01-01 00:00:00')",
        "INSERT INTO channel_identity (id, channel, external_id, member_id, reachable, "
        "created_at, last_seen_at) VALUES (1, 'telegram', '42', 1, true, "
        "'2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    ]
    async with db.engine.begin() as conn:
        for row in rows:
            await conn.execute(text(row))
    await upgrade(db)
    async with db.engine.connect() as conn:
        found = (await conn.execute(text("SELECT name, department_id FROM member"))).all()
        org = (await conn.execute(text("SELECT anonymous_min_members FROM organization"))).one()
    assert [tuple(r) for r in found] == [("张三", 1)] and org[0] == 5
