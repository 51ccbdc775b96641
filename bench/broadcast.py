"""Target 3: a broadcast to 10,000 members at the server's limit.

The fake Bot API of the tests enforces Telegram's limits (``limit_rate``: 429 beyond
``rate`` messages in any second, or beyond one a second to a chat); the service, a real
``python -m bot run`` in a child process, has MASSLINE_SEND_RATE set to that same limit.
The broadcast is handed to the outbox as ``python -m bot broadcast`` hands it (one outbox
row per member, committed), then the deliverer drains it. The floor is N / rate: no sender
can do better without being refused. Measured: the time from the hand-over to the last
message's arrival at the server, sends refused (429), members who got nothing (lost) or
got it twice (doubled).
"""

# ruff: noqa: ASYNC110  (polling what another process does: there is no event to wait on)

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.report import machine, table, write_section
from bench.service import Service, clean_env, free_port
from config.i18n import default_catalog
from handlers.admin_ops import create_org
from handlers.broadcasts.ops import create_broadcast, start_now
from handlers.context import Services
from handlers.schedule import job_context
from storage.db import Database
from storage.migrate import upgrade
from storage.repos import Repos
from storage.types import utcnow
from tests.fakes import FakeTelegram
from tests.test_delivery_support import open_chats, seed_members

TEXT = "请全体党员干部本周五前完成第二专题学习。"


@dataclass
class Result:
    members: int
    rate: float
    elapsed: float  # hand-over → last message at the server
    spread: float  # first → last message at the server
    refused: int
    lost: int
    doubled: int
    cpu_ms: float  # the service's CPU per message

    @property
    def floor(self) -> float:
        return self.members / self.rate

    @property
    def ratio(self) -> float:
        return self.elapsed / self.floor


async def broadcast(members: int, rate: float, directory: Path) -> Result:
    path = directory / f"broadcast-{members}-{rate:g}.db"
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    org = await db.run(lambda session: create_org(Repos(session), "测试规划局", actor="bench"))
    assert org.id is not None
    chats = await seed_members(db, org.id, members)
    async with FakeTelegram() as fake:
        limit = fake.limit_rate(rate)
        open_chats(fake, chats.values())
        env = clean_env(
            MASSLINE_DATABASE_URL=f"sqlite:///{path}",
            MASSLINE_TELEGRAM_TOKEN=fake.token,
            MASSLINE_TELEGRAM_API_URL=fake.url,
            MASSLINE_SEND_RATE=f"{rate:g}",
            MASSLINE_WEB_PORT=str(free_port()),
            MASSLINE_LOG_LEVEL="WARNING",
        )
        service = await Service.start({**env, "MASSLINE_LOG_LEVEL": "INFO"}, "telegram: @")
        try:
            cpu_before = service.cpu()
            await hand_over(db, org.id, TEXT)
            handed = time.monotonic()
            deadline = handed + members / rate * 2 + 60
            while _delivered(fake) < members and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # anything still coming would be a duplicate
            cpu = service.cpu() - cpu_before
        finally:
            await service.stop()
        sends = [c for c in fake.calls if c.status == 200 and TEXT in str(c.params.get("text"))]
        got = {c.chat_id for c in sends}
        times = sorted(c.at for c in sends)
    await db.dispose()
    return Result(
        members=members,
        rate=rate,
        elapsed=(times[-1] - handed) if times else float("nan"),
        spread=(times[-1] - times[0]) if times else float("nan"),
        refused=len(limit.refused),
        lost=len(set(chats.values()) - got),
        doubled=len(sends) - len(got),
        cpu_ms=cpu * 1000 / max(1, len(sends)),
    )


async def hand_over(db: Database, org_id: int, text: str) -> None:
    """What ``python -m bot broadcast --org ORG --text TEXT`` does, in this process so
    that the moment its rows are committed is known exactly."""
    services = Services(catalog=default_catalog(), zone=ZoneInfo("Asia/Shanghai"),
                        default_language="zh", web_url="http://127.0.0.1")  # fmt: skip

    async def create(session: object) -> int:
        repos, now = Repos(session), utcnow()  # type: ignore[arg-type]
        row = await create_broadcast(repos, org_id=org_id, text=text, roles=[], send_at=now,
                                     now=now, actor="bench")  # fmt: skip
        return await start_now(job_context(repos, services), row)

    await db.run(create)


def _delivered(fake: FakeTelegram) -> int:
    return sum(1 for c in fake.calls if c.status == 200 and c.method == "sendMessage")


async def run(args: argparse.Namespace) -> None:
    plans = [(1_000, 100.0), (300, 30.0)] if args.quick else [(10_000, 100.0), (3_000, 30.0)]
    results = []
    header = machine()
    with tempfile.TemporaryDirectory(prefix="massline-bench-") as tmp:
        for members, rate in plans:
            print(f"   {members} members at {rate:g}/s (floor {members / rate:.0f} s) …")
            result = await broadcast(members, rate, Path(tmp))
            print(f"   {result.elapsed:.1f} s, ratio {result.ratio:.3f}, refused "
                  f"{result.refused}, lost {result.lost}, doubled {result.doubled}")  # fmt: skip
            results.append(result)
    body = _section(header, results)
    print(body)
    if args.write:
        write_section("broadcast", body)


def _section(header: str, results: list[Result]) -> str:
    rows = [
        [f"{r.members:,}", f"{r.rate:g}/s", f"{r.floor:.1f}", f"{r.elapsed:.1f}",
         f"{r.spread:.1f}", f"**{r.ratio:.3f}**", str(r.refused), str(r.lost), str(r.doubled),
         f"{r.cpu_ms:.2f}"]
        for r in results
    ]  # fmt: skip
    head = ["members", "limit = MASSLINE_SEND_RATE", "floor N/rate s", "hand-over → last s",
            "first → last s", "ratio to floor (target ≤ 1.05)", "refused (429)", "lost",
            "doubled", "service CPU ms/msg"]  # fmt: skip
    return "\n\n".join(
        [
            "## Broadcast at the server's limit (target 3)",
            header,
            "A real `python -m bot run` (SQLite, polling) against the tests' fake Bot API, "
            "which answers 429 to any message beyond `rate` in a second or beyond one a second "
            "to a chat (`tests/fakes/telegram_limits.py`). The broadcast is handed to the "
            "outbox as `python -m bot broadcast` does it; the clock starts when its rows are "
            "committed (the idle deliverer looks for work once a second, counted in) and "
            "stops at the last message's arrival at the server. 30/s is Telegram's "
            "documented limit for a bot's bulk messages.",
            table(head, rows),
        ]
    )
