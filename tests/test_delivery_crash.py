"""The outbox across crashes and processes (issue 4), with real ``python -m bot run``
processes against one SQLite file and the fake Bot API in this process:

- kill -9 in the middle of a 2,000-member broadcast, restart: every member gets it, and
  the duplicates (sends whose outcome the dead process had not committed) are counted and
  bounded by the in-flight window;
- two services against one database: both schedulers meet the broadcast and find it
  handed over (once), the claims never overlap, nobody gets it twice. (Two schedulers
  racing for one moment: tests/test_broadcasts.py.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery import IN_FLIGHT
from config.i18n import default_catalog
from handlers.admin_ops import create_org
from handlers.broadcasts.ops import create_broadcast, start_now
from handlers.context import Services
from handlers.schedule import job_context
from storage.db import Database
from storage.models import OutboxMessage
from storage.repos import Repos
from storage.study_models import SchedulerRun
from storage.types import utcnow
from tests.databases import migrated_sqlite
from tests.fakes import FakeTelegram
from tests.test_cli import ROOT, clean_env
from tests.test_delivery_support import open_chats, seed_members

MEMBERS = 2000
RATE = 500
TEXT = "请全体党员干部本周内完成专题学习。"


class Service:
    """``python -m bot run`` as a child process, its log read as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc, self.log = proc, ""
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str]) -> Service:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        service = cls(proc)
        await service.wait_for("telegram: @")
        return service

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for line in self.proc.stderr:
            self.log += line.decode(errors="replace")

    async def wait_for(self, words: str, within: float = 20) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while words not in self.log:
            if loop.time() > deadline or self.proc.returncode is not None:
                raise AssertionError(f"no {words!r} in the log:\n{self.log}")
            await asyncio.sleep(0.05)

    async def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        await self._reader

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not stopped within 15 s."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self._reader


async def cli(env: dict[str, str], *args: object) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *map(str, args), "--json", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return dict(json.loads(out))


@contextlib.asynccontextmanager
async def campaign(
    tmp_path: Path, members: int
) -> AsyncIterator[tuple[FakeTelegram, dict[str, str], int]]:
    """The fake Bot API, a database with ``members`` who have all written to the bot, and
    the environment a service or a command needs."""
    path = await migrated_sqlite(tmp_path)
    async with FakeTelegram() as fake:
        db = Database(f"sqlite:///{path}")
        org = await db.run(lambda session: create_org(Repos(session), "测试规划局", actor="t"))
        assert org.id is not None
        open_chats(fake, (await seed_members(db, org.id, members)).values())
        await db.dispose()
        env = clean_env(
            MASSLINE_DATABASE_URL=f"sqlite:///{path}",
            MASSLINE_TELEGRAM_TOKEN=fake.token,
            MASSLINE_TELEGRAM_API_URL=fake.url,
            MASSLINE_TELEGRAM_BOT_USERNAME=fake.username,
            MASSLINE_SEND_RATE=str(RATE),
            MASSLINE_LOG_LEVEL="INFO",
        )
        yield fake, env, org.id


def on_port(env: dict[str, str], *, webhook: bool = False) -> dict[str, str]:
    """Its own web port; with ``webhook``, Telegram updates come there (several services
    cannot all long-poll one bot: Telegram answers the second getUpdates with 409)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hook = {"MASSLINE_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
            "MASSLINE_TELEGRAM_WEBHOOK_SECRET": "crash-test-secret"}  # fmt: skip
    return {**env, "MASSLINE_WEB_PORT": str(port), **(hook if webhook else {})}


def deliveries(fake: FakeTelegram) -> Counter[int]:
    """How many times each chat was sent the broadcast."""
    return Counter(
        c.chat_id for c in fake.calls if c.status == 200 and TEXT in str(c.params.get("text"))
    )


async def until(check: Any, within: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"not so after {within}s: {what}")
        await asyncio.sleep(0.1)


async def test_kill_9_mid_broadcast_loses_nobody_and_doubles_within_the_window(
    tmp_path: Path,
) -> None:
    async with campaign(tmp_path, MEMBERS) as (fake, env, org_id):
        env = on_port(env)
        first, created = await asyncio.gather(
            Service.start(env), cli(env, "broadcast", "--org", org_id, "--text", TEXT)
        )
        assert created["members"] == MEMBERS and created["queued"] == MEMBERS
        await until(lambda: deliveries(fake).total() >= MEMBERS * 2 // 5, 30, "sending began")
        await first.kill()
        at_kill = deliveries(fake).total()
        second = await Service.start(env)
        try:
            await until(lambda: len(deliveries(fake)) == MEMBERS, 40, "everyone has it")
            await asyncio.sleep(0.5)  # anything still coming would be a duplicate
            got = deliveries(fake)
            doubled = got.total() - MEMBERS
            print(f"\nkill -9 after {at_kill} of {MEMBERS} sends: {doubled} sent twice "
                  f"(in-flight window {IN_FLIGHT})")  # fmt: skip
            assert max(got.values()) <= 2 and doubled <= IN_FLIGHT
            assert await outcomes(env) == {"sent": MEMBERS}
        finally:
            await second.stop()
        assert "Traceback" not in second.log, second.log


async def test_two_services_on_one_database_send_nothing_twice(tmp_path: Path) -> None:
    members = 300
    async with campaign(tmp_path, members) as (fake, env, org_id):
        await broadcast_now(env, org_id)  # as `python -m bot broadcast` does (tested above)
        services = await asyncio.gather(*(Service.start(on_port(env, webhook=True)) for _ in "ab"))
        try:
            # Both services' schedulers meet the occurrence that was handed over, and find
            # its record; both deliverers claim from the same rows.
            await until(lambda: len(deliveries(fake)) == members, 30, "everyone has it")
            await asyncio.sleep(0.5)
            got = deliveries(fake)
            print(f"\ntwo services: {got.total()} sends to {len(got)} members")
            assert got.total() == members
            handed, summaries = await runs(env)
            assert handed == 1 and summaries <= 1
        finally:
            await asyncio.gather(*(service.stop() for service in services))
        assert not [s.log for s in services if "Traceback" in s.log]


async def broadcast_now(env: dict[str, str], org_id: int) -> None:
    db = Database(env["MASSLINE_DATABASE_URL"])
    services = Services(catalog=default_catalog(), zone=ZoneInfo("Asia/Shanghai"),
                        default_language="zh", web_url="http://127.0.0.1")  # fmt: skip

    async def create(session: AsyncSession) -> int:
        repos, now = Repos(session), utcnow()
        row = await create_broadcast(repos, org_id=org_id, text=TEXT, roles=[], send_at=now,
                                     now=now, actor="test")  # fmt: skip
        return await start_now(job_context(repos, services), row)

    try:
        await db.run(create)
    finally:
        await db.dispose()


async def outcomes(env: dict[str, str]) -> dict[str, int]:
    """The broadcast's outbox rows by status."""
    db = Database(env["MASSLINE_DATABASE_URL"])
    try:

        async def count(session: AsyncSession) -> dict[str, int]:
            query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            return dict((await session.exec(query)).all())

        return await db.run(count)
    finally:
        await db.dispose()


async def runs(env: dict[str, str]) -> tuple[int, int]:
    """How many times a broadcast occurrence was handed to the outbox, and how many
    times its sender was sent the summary."""
    db = Database(env["MASSLINE_DATABASE_URL"])
    try:

        async def count(session: AsyncSession) -> tuple[int, int]:
            query = select(SchedulerRun.key).where(col(SchedulerRun.key).startswith("broadcast:"))
            keys = (await session.exec(query)).all()
            summaries = sum(k.endswith(":summary") for k in keys)
            return len(keys) - summaries, summaries

        return await db.run(count)
    finally:
        await db.dispose()
