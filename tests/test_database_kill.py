"""kill -9 of the service in the middle of a stream of writes on SQLite (issue 10,
database faults): members log self-study, report progress, check in and submit named and
anonymous opinions through the fake Bot API while ``python -m bot run`` is killed at
random moments and started again.

It holds when: ``PRAGMA integrity_check`` is ok; every write whose success reply reached
the member is in the database; no member is ever shown "database is locked" or any other
internal error. Then the anonymity audit, after the crashes: no anonymous text in any log
line (at DEBUG) or outbox row, and no page or WAL frame holding one also holds its
author's chat id (tests/test_anonymity_audit.py's page scan).
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
from collections import Counter
from itertools import accumulate
from pathlib import Path

from storage.db import Database
from tests.databases import migrated_sqlite
from tests.fakes import FakeTelegram
from tests.fault_figures import write_section
from tests.fault_writers import BUSY, Told, Writer, build_scene, launch, leaks, present, shown
from tests.test_anonymity_audit import _chunks
from tests.test_cli import clean_env
from tests.test_delivery_crash import on_port, until

SEED = int(os.environ.get("MASSLINE_RELIABILITY_SEED", "20261125"))
KILLS = int(os.environ.get("MASSLINE_RELIABILITY_KILLS", "2"))
MEMBERS, CADRES = 10, 4
KINDS = {"self_study", "progress", "check_in", "named_opinion", "anonymous"}
WITHIN = 15.0  # how long a member waits for an answer: a restart and its backlog


async def test_kill_9_during_writes_loses_nothing_confirmed(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    # Kill after so many more confirmed writes, and a random fraction of a second: the
    # points are random in the stream whatever the speed of the machine.
    marks = list(accumulate(rng.randint(12, 30) for _ in range(KILLS + 1)))
    pauses = [rng.uniform(0.0, 0.8) for _ in range(KILLS)]
    path = await migrated_sqlite(tmp_path)
    async with FakeTelegram() as fake:
        db = Database(f"sqlite:///{path}")
        scene = await build_scene(db, fake, MEMBERS, CADRES)
        await db.dispose()
        env = on_port(clean_env(
            MASSLINE_DATABASE_URL=f"sqlite:///{path}", MASSLINE_TELEGRAM_TOKEN=fake.token,
            MASSLINE_TELEGRAM_API_URL=fake.url, MASSLINE_TELEGRAM_BOT_USERNAME=fake.username,
            MASSLINE_LOG_LEVEL="DEBUG",
        ))  # fmt: skip
        told, stop, logs = Told(), asyncio.Event(), []
        service = await launch(env)
        chats = [*scene.members, *scene.cadres]
        writers = [Writer(fake.user(chat, f"成员{chat}"), scene, told, WITHIN) for chat in chats]
        tasks = [asyncio.create_task(w.run(stop)) for w in writers]
        try:
            for mark, pause in zip(marks, pauses, strict=False):
                await until(lambda m=mark: len(told.confirmed) >= m, WITHIN * 4, "writes")
                await asyncio.sleep(pause)
                await service.kill()
                logs.append(service.log)
                service = await launch(env)
            await until(lambda: _enough(told, marks[-1]), WITHIN * 4, "every kind of write")
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks), WITHIN * 8)
        finally:
            stop.set()
            await service.stop()
            logs.append(service.log)
        outbox = _outbox_payloads(path)
        with sqlite3.connect(path) as conn:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        found = present(path, told)
        images = _images(path)
        texts = shown(fake, chats)
    lost = {key: kind for key, kind in told.confirmed.items() if found[key] == 0}
    twice = Counter(told.confirmed[k] for k in told.confirmed if found[k] > 1)
    dark = Counter(kind for key, kind in told.unanswered.items() if found[key])
    table = _table(told, integrity, lost, twice, dark, texts)
    print(f"\n{table}")
    assert integrity == "ok"
    assert lost == {}, f"confirmed but missing: {lost}"
    assert leaks(texts) == [] and not [text for text in texts if BUSY in text]
    assert all("telegram: @" in log for log in logs) and len(logs) == KILLS + 1
    assert not [log for log in logs if "Traceback" in log]
    _audit(told, "\n".join(logs), outbox, images)
    write_section("sqlite-kill", table)


def _enough(told: Told, least: int) -> bool:
    return len(told.confirmed) >= least and set(told.confirmed.values()) >= KINDS


def _audit(told: Told, logs: str, outbox: list[str], images: list[bytes]) -> None:
    """No anonymous marker in a log line or an outbox row; no page or WAL frame holding
    one holds its author's chat id too."""
    assert "INFO" in logs, "the logs captured nothing; the audit would prove nothing"
    stored = 0
    for marker, chat in told.anonymous.items():
        assert marker not in logs, "an anonymous text reached the log"
        assert not [row for row in outbox if marker in row], "an anonymous text in the outbox"
        for chunk in images:
            if marker.encode() in chunk:
                stored += 1
                assert str(chat).encode() not in chunk, "anonymous text beside its author's id"
    assert stored, "no anonymous text found in any page: the scan looks in the wrong place"


def _images(path: Path) -> list[bytes]:
    wal = Path(f"{path}-wal")
    pages = _chunks(path.read_bytes(), wal=False)
    return pages + (_chunks(wal.read_bytes(), wal=True) if wal.exists() else [])


def _outbox_payloads(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [str(row[0]) for row in conn.execute("SELECT payload FROM outbox")]


def _table(told: Told, integrity: str, lost: dict[str, str], twice: Counter[str],
           dark: Counter[str], texts: list[str]) -> str:  # fmt: skip
    kinds = sorted(told.tried)
    confirmed = Counter(told.confirmed.values())
    unanswered = Counter(told.unanswered.values())
    head = ("| write | tried | success reply reached the member | of those in the database"
            " | no answer (died with the process) | of those in the database anyway"
            " | written twice |\n|---|---:|---:|---:|---:|---:|---:|")  # fmt: skip
    missing = Counter(lost.values())
    rows = [
        f"| {k} | {told.tried[k]} | {confirmed[k]} | {confirmed[k] - missing[k]}"
        f" | {unanswered[k]} | {dark[k]} | {twice[k]} |"
        for k in kinds
    ]
    tail = (f"\n\n`PRAGMA integrity_check`: **{integrity}**; kill -9: {KILLS}, at random points "
            f"of the writing by {MEMBERS + CADRES} members; \"database is locked\" or any other "
            f"internal error shown to a member: **{len(leaks(texts))}** (of {len(texts)} "
            f"messages); the \"busy, nothing saved\" apology: "
            f"**{sum(BUSY in text for text in texts)}**.")  # fmt: skip
    return "\n".join([head, *rows]) + tail
