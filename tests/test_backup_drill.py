"""Backups while the service writes, and a restore drill (issue 10, backups; SPEC §5):
members keep writing through the fake Bot API while ``python -m bot backup FILE`` runs
twice. Each backup is whole (``PRAGMA integrity_check`` ok, the row counts it
reports are the file's) and holds every write confirmed to a member before it began.
Then the drill: the service stops, ``python -m bot restore`` puts the first backup back,
the restored database has exactly the backup's row counts and integrity, and the service
starts on it and takes a member's next write.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from bot.backup import TABLES_SQL
from storage.db import Database
from tests.databases import migrated_sqlite
from tests.fakes import FakeTelegram
from tests.fault_figures import write_section
from tests.fault_writers import Told, Writer, build_scene, launch, rows_holding, said
from tests.test_cli import clean_env
from tests.test_delivery_crash import cli, on_port

BACKUPS = 2


async def test_backups_while_writing_and_a_restore_drill(tmp_path: Path) -> None:
    path = await migrated_sqlite(tmp_path)
    async with FakeTelegram() as fake:
        db = Database(f"sqlite:///{path}")
        scene = await build_scene(db, fake, 6, 2)
        await db.dispose()
        env = on_port(clean_env(
            MASSLINE_DATABASE_URL=f"sqlite:///{path}", MASSLINE_TELEGRAM_TOKEN=fake.token,
            MASSLINE_TELEGRAM_API_URL=fake.url, MASSLINE_TELEGRAM_BOT_USERNAME=fake.username,
        ))  # fmt: skip
        told, stop = Told(), asyncio.Event()
        service = await launch(env)
        chats = [*scene.members, *scene.cadres]
        writers = [Writer(fake.user(chat, f"成员{chat}"), scene, told, 15.0) for chat in chats]
        tasks = [asyncio.create_task(w.run(stop)) for w in writers]
        made: list[tuple[float, dict[str, Any], int]] = []  # (began, its answer, confirmed)
        try:
            for n in range(BACKUPS):
                await asyncio.sleep(2.0)
                began = time.monotonic()
                answer = await cli(env, "backup", tmp_path / f"backup{n}.db")
                made.append((began, answer, len(told.confirmed)))
            stop.set()
            await asyncio.gather(*tasks)
        finally:
            stop.set()
            await service.stop()
        assert "Traceback" not in service.log, service.log
        for began, answer, _ in made:
            _check_backup(Path(answer["file"]), answer, told, began)
        assert made[-1][2] > made[0][2] > 0  # the members kept writing between backups
        live = _counts(path)
        chosen = made[0][1]
        restored = await cli(env, "restore", chosen["file"])
        assert restored["integrity"] == "ok" and restored["rows"] == chosen["rows"]
        assert _counts(path) == chosen["rows"] != live
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        service = await launch(env)  # the service on the restored database
        try:
            user = fake.user(scene.members[0])  # the same chat as before
            reply = await said(user, lambda: user.say("/log 0.5 恢复演练后学习"), ("已记录自学",),
                               15.0)  # fmt: skip
        finally:
            await service.stop()
        assert reply is not None and "已记录自学 0.5 小时" in reply, reply
    kept = sum(n for n in chosen["rows"].values())
    write_section("backup", (
        f"{BACKUPS} backups taken with `python -m bot backup` while {len(chats)} members "
        f"wrote ({made[-1][2]} writes confirmed by then): each `PRAGMA integrity_check` "
        f"**ok**, each holding every write confirmed before it began. Restore drill: "
        f"`python -m bot restore` of the first ({kept:,} rows in {len(chosen['rows'])} "
        f"tables): row counts equal table by table, integrity **ok**, and the service took "
        f"the next write on it."
    ))  # fmt: skip


def _check_backup(file: Path, answer: dict[str, Any], told: Told, began: float) -> None:
    assert answer["integrity"] == "ok"
    assert _counts(file) == answer["rows"]
    with sqlite3.connect(file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        before = [k for k, kind in told.confirmed.items() if told.heard[k] < began]
        assert before, "nothing was confirmed before the backup: the check proves nothing"
        missing = [k for k in before if rows_holding(conn, k, told.confirmed[k]) == 0]
    assert missing == [], f"{file.name} lacks writes confirmed before it began: {missing}"


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [row[0] for row in conn.execute(TABLES_SQL)]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}  # noqa: S608  (names from sqlite_master)
