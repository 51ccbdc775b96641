"""Backups while the service runs, and restoring one (SPEC §5).

SQLite: ``VACUUM INTO`` writes a consistent, compact copy from a read snapshot, so the
service keeps writing meanwhile, and the copy carries no free pages with remnants of
deleted rows. PostgreSQL: ``pg_dump`` is the right tool; we say how.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

from config.settings import Settings
from handlers.admin_ops import OpError

TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"


def _database_file(settings: Settings) -> Path:
    path = settings.sqlite_path()
    if path is None:
        raise OpError("cli.backup_postgres", url=settings.database_url.split("@")[-1])
    if not path.exists():
        raise OpError("cli.backup_no_database", path=str(path))
    return path


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in conn.execute(TABLES_SQL)]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}  # noqa: S608  (names from sqlite_master)


def _integrity(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def _backup(source: Path, target: Path) -> dict[str, Any]:
    if target.exists():
        raise OpError("cli.backup_exists", path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source, timeout=30) as conn:
        conn.execute("VACUUM INTO ?", (str(target),))
    with sqlite3.connect(target) as copy:
        return {"file": str(target), "bytes": target.stat().st_size,
                "integrity": _integrity(copy), "rows": _counts(copy)}  # fmt: skip


def _restore(backup: Path, live: Path) -> dict[str, Any]:
    if not backup.exists():
        raise OpError("cli.backup_missing", path=str(backup))
    try:
        with sqlite3.connect(f"file:{backup}?mode=ro", uri=True) as source:
            if _integrity(source) != "ok":
                raise OpError("cli.restore_damaged", path=str(backup))
            live.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(live, timeout=30) as target:
                source.backup(target)
                return {"file": str(backup), "database": str(live),
                        "integrity": _integrity(target), "rows": _counts(target)}  # fmt: skip
    except sqlite3.DatabaseError as exc:
        raise OpError("cli.restore_damaged", path=str(backup)) from exc


async def backup(settings: Settings, target: Path) -> dict[str, Any]:
    return await asyncio.to_thread(_backup, _database_file(settings), target)


async def restore(settings: Settings, source: Path) -> dict[str, Any]:
    path = settings.sqlite_path()
    if path is None:
        raise OpError("cli.backup_postgres", url=settings.database_url.split("@")[-1])
    return await asyncio.to_thread(_restore, source, path)
