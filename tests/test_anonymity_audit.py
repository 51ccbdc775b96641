"""The anonymity audit (SPEC §6), end to end through the real Telegram path.

Several members submit named and anonymous opinions, each carrying a unique marker, with
debug logging on. Then the database file, its WAL, a backup made by ``python -m bot
backup`` while the service runs, the outbox and the captured logs are searched: any page
or WAL frame holding an anonymous marker must not also hold its author's Telegram id or
name, and no log line may hold an anonymous marker at all.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import secrets
import sqlite3
import sys
from pathlib import Path

from bot.app import SETTINGS
from bot.logs import apply_levels
from tests.fakes import FakeUser
from tests.telegram_fixtures import Service, running_service

ROOT = Path(__file__).resolve().parent.parent
PAGE = 4096
WAL_HEADER, FRAME_HEADER = 32, 24
PEOPLE = 7


async def _anonymous(user: FakeUser, parts: list[str]) -> list[int]:
    """Submit an anonymous opinion in several messages; return their message ids."""
    await user.say("匿名意见")
    await user.expect_text("无法知道这条意见是你写的")  # the promise, before anything else
    await user.expect_text("提给谁")
    await user.tap("单位整体工作")
    await user.expect_text("哪一类")
    await user.tap("官僚主义")
    await user.expect_text("写下你的意见")
    ids = []
    for part in parts:
        ids.append((await user.say(part))["message_id"])
        await user.expect_text("已记下")
    await user.tap("完成")
    await user.expect_text("请确认")
    await user.tap("提交")
    await user.expect_text("回执码")
    return ids


async def _named(user: FakeUser, text: str) -> None:
    await user.say("/opinion")
    await user.expect_text("实名还是匿名")
    await user.tap("实名提意见")
    await user.expect_text("提给谁")
    await user.tap("领导班子")
    await user.expect_text("哪一类")
    await user.tap("形式主义")
    await user.expect_text("写下你的意见")
    await user.say(text)
    await user.expect_text("已记下")
    await user.say("完成")
    await user.expect_text("请确认")
    await user.tap("提交")
    await user.expect_text("编号")


def _rows_reachable_from(path: Path, marker: str) -> list[tuple[object, ...]]:
    """The anonymous post holding the marker and its thread, every column's value."""
    with sqlite3.connect(path) as conn:
        posts = conn.execute("SELECT * FROM anon_post WHERE text LIKE ?", (f"%{marker}%",))
        found = [tuple(str(v) for v in row) for row in posts.fetchall()]
        thread_ids = {row[1] for row in conn.execute(
            "SELECT id, thread_id FROM anon_post WHERE text LIKE ?", (f"%{marker}%",)
        )}  # fmt: skip
        for thread_id in thread_ids:
            thread = conn.execute("SELECT * FROM anon_thread WHERE id = ?", (thread_id,))
            found += [tuple(str(v) for v in row) for row in thread.fetchall()]
    assert found, f"{marker}: no stored rows"
    return [tuple(v for v in row) for row in found]


def _chunks(data: bytes, *, wal: bool) -> list[bytes]:
    if not wal:
        return [data[i : i + PAGE] for i in range(0, len(data), PAGE)]
    body = data[WAL_HEADER:]
    step = FRAME_HEADER + PAGE
    return [body[i : i + step] for i in range(0, len(body), step)]


async def _backup(service: Service, target: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASSLINE_")}
    env.update(MASSLINE_DATABASE_URL=service.app[SETTINGS].database_url, PYTHONPATH=str(ROOT))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "backup", str(target), "--json", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()


async def test_nothing_pairs_anonymous_text_with_its_author(tmp_path: Path) -> None:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    apply_levels("DEBUG")
    authors: dict[str, tuple[str, str]] = {}  # marker → (telegram id, name)
    named_markers = []
    try:
        async with running_service(tmp_path) as service:
            users = [
                await service.joined(7_300_000_000 + n, f"成员{n:02d}号") for n in range(PEOPLE)
            ]
            deleted_expected: set[tuple[int, int]] = set()
            for n, user in enumerate(users):
                named = f"NAMED{n}MARK{secrets.token_hex(4)}"
                named_markers.append(named)
                await _named(user, f"会议太多 {named}")
                if n % 2 == 0:
                    marker = f"ANON{n}MARK{secrets.token_hex(6)}"
                    authors[marker] = (str(user.id), user.who["first_name"])
                    parts = [f"审批太慢 {marker}", f"第二段 {marker}"]
                    for message_id in await _anonymous(user, parts):
                        deleted_expected.add((user.id, message_id))
            db_path = Path(service.app[SETTINGS].sqlite_path() or "")
            await _backup(service, tmp_path / "backup.db")
            wal = Path(f"{db_path}-wal")
            images = {
                "database": _chunks(db_path.read_bytes(), wal=False),
                "wal": _chunks(wal.read_bytes(), wal=True) if wal.exists() else [],
                "backup": _chunks((tmp_path / "backup.db").read_bytes(), wal=False),
            }
            deleted = {
                (int(c.params["chat_id"]), int(c.params["message_id"]))
                for c in service.fake.calls
                if c.method == "deleteMessage"
            }
    finally:
        root.removeHandler(handler)
        apply_levels("WARNING")
    logs = captured.getvalue()
    assert logs, "debug logging captured nothing; the audit would prove nothing"
    assert deleted_expected <= deleted, "anonymous messages must be deleted from the chat"
    for marker, (telegram_id, name) in authors.items():
        assert marker not in logs, "an anonymous text reached the log"
        seen = 0
        for where, chunks in images.items():
            for chunk in chunks:
                if marker.encode() not in chunk:
                    continue
                seen += 1
                assert telegram_id.encode() not in chunk, f"{where}: text beside its author id"
                assert name.encode() not in chunk, f"{where}: text beside its author's name"
        assert seen, f"{marker} is in no page: the scan is looking in the wrong place"
        for row in _rows_reachable_from(tmp_path / "backup.db", marker):
            assert telegram_id not in row and name not in row, row
    # The named ones are stored with their authors, as they should be: the scan can see.
    assert any(m.encode() in c for m in named_markers for c in images["database"] + images["wal"])
