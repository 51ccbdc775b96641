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
