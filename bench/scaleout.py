"""Target 7: three ``python -m bot run`` processes on one PostgreSQL, against one.

Webhook mode; each process has a fake Bot API of its own (the tests' FakeTelegram, all in
this process), so that what each one sends can be told apart. This process is the load
balancer: it POSTs each update to the next process's webhook in turn (round robin), and
a webhook's HTTP answer comes once the update has been handled and its replies sent, so
the POST's duration is the update-to-reply latency.

- updates: 50 members in a closed loop (/help, /study, /deadlines, /my), first against
  one process, then against three; updates/s, p50/p99, and each process's share;
- outbox: a broadcast to 3,000 members at MASSLINE_SEND_RATE per process, drained by all
  three (claims skip the rows another holds); each process's share, and the elapsed
  time against N / (3 × rate);
- scheduler: which process holds the advisory lock; it is killed, and the time until
  another logs that it runs the scheduler is measured.
"""

# ruff: noqa: ASYNC110  (polling what other processes do: there is no event to wait on)

from __future__ import annotations

import argparse
import asyncio
import secrets
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import asyncpg
from aiohttp import ClientSession

from bench.broadcast import hand_over
from bench.report import machine, percentile, table, write_section
from bench.seeding import members as seed_members
from bench.seeding import organizations
from bench.service import Service, clean_env, free_port
from storage.db import Database
from storage.migrate import upgrade
from tests.fakes import FakeTelegram
from tests.fakes.telegram_updates import SECRET_HEADER

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
MIX = ["/help", "/study", "/deadlines", "/my"]
SECRET = "scale-out-bench-secret"  # noqa: S105  (a throwaway webhook secret)
BROADCAST = "请各支部于本周五前报送学习台账。"
LEADS = "scheduler: this process runs it"


@dataclass
class Round:
    processes: int
    rate: float = 0.0
    latencies: list[float] = field(default_factory=list)
    shares: list[int] = field(default_factory=list)


@dataclass
class Outbox:
    members: int
    rate: float
    elapsed: float = 0.0
    shares: list[int] = field(default_factory=list)
    takeover: float = 0.0


async def fresh_database() -> tuple[str, str]:
    name = f"massline_scaleout_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_SERVER)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name, PG_SERVER.rsplit("/", 1)[0] + "/" + name


async def drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_SERVER)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class Cluster:
    def __init__(self, url: str, chats: list[int], rate: float) -> None:
        self.url, self.chats, self.rate = url, chats, rate
        self.fakes: list[FakeTelegram] = []
        self.services: list[Service] = []
        self.hooks: list[str] = []

    async def start(self, stack: AsyncExitStack, count: int) -> None:
        for _ in range(count):
            fake = await stack.enter_async_context(FakeTelegram())
            for chat in self.chats:
                fake.user(chat, "成员").log.started = True
            port = free_port()
            hook = f"http://127.0.0.1:{port}/telegram/webhook"
            env = clean_env(MASSLINE_DATABASE_URL=self.url, MASSLINE_TELEGRAM_TOKEN=fake.token,
                            MASSLINE_TELEGRAM_API_URL=fake.url, MASSLINE_WEB_PORT=str(port),
                            MASSLINE_TELEGRAM_WEBHOOK_URL=hook,
                            MASSLINE_TELEGRAM_WEBHOOK_SECRET=SECRET,
                            MASSLINE_SEND_RATE=f"{self.rate:g}",
                            MASSLINE_LOG_LEVEL="INFO")  # fmt: skip
            self.fakes.append(fake)
            self.hooks.append(hook)
            self.services.append(await Service.start(env, "telegram: @", within=120))

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.services))

    def sent(self, index: int, containing: str) -> int:
        return sum(1 for c in self.fakes[index].calls
                   if c.status == 200 and containing in str(c.params.get("text")))  # fmt: skip


async def updates(cluster: Cluster, people: list[int], per_person: int) -> Round:
    result = Round(len(cluster.services), shares=[0] * len(cluster.services))
    turn = 0

    async def person(http: ClientSession, chat: int, offset: int) -> None:
        nonlocal turn
        fake = cluster.fakes[0]
        user = fake.user(chat, "成员")
        for n in range(per_person):
            target = turn % len(cluster.hooks)
            turn += 1
            typed = user.typed(MIX[(offset + n) % len(MIX)])
            update = {"update_id": secrets.randbelow(2**31), "message": user.compose(**typed)}
            started = time.perf_counter()
            async with http.post(cluster.hooks[target], json=update,
                                 headers={SECRET_HEADER: SECRET}) as answer:  # fmt: skip
                await answer.read()
                assert answer.status == 200, answer.status
            result.latencies.append(time.perf_counter() - started)
            result.shares[target] += 1

    started = time.perf_counter()
    async with ClientSession() as http:
        await asyncio.gather(*(person(http, chat, i) for i, chat in enumerate(people)))
    result.rate = len(result.latencies) / (time.perf_counter() - started)
    return result


async def broadcast(cluster: Cluster, org_id: int, count: int) -> Outbox:
    outbox = Outbox(count, cluster.rate)
    db = Database(cluster.url)
    try:
        await hand_over(db, org_id, BROADCAST)
    finally:
        await db.dispose()
    started = time.monotonic()
    deadline = started + count / cluster.rate + 60
    while sum(outbox_shares(cluster)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    outbox.elapsed = time.monotonic() - started
    outbox.shares = outbox_shares(cluster)
    return outbox


def outbox_shares(cluster: Cluster) -> list[int]:
    return [cluster.sent(i, BROADCAST) for i in range(len(cluster.services))]


async def takeover(cluster: Cluster) -> tuple[int, float]:
    """Kill -9 the scheduler's process; seconds until another runs it."""
    leader = next(i for i, s in enumerate(cluster.services) if LEADS in s.log)
    await cluster.services[leader].kill()
    killed = time.monotonic()
    survivors = [s for i, s in enumerate(cluster.services) if i != leader]
    while not any(LEADS in s.log for s in survivors) and time.monotonic() - killed < 60:
        await asyncio.sleep(0.05)
    return leader, time.monotonic() - killed


async def run(args: argparse.Namespace) -> None:
    people, per_person = (20, 10) if args.quick else (50, 30)
    count, rate = (600, 50.0) if args.quick else (3_000, 100.0)
    header = machine()
    name, url = await fresh_database()
    try:
        db = Database(url)
        await upgrade(db)
        (org_id,) = await organizations(db, 1)
        chats = list((await seed_members(db, [org_id], count)).values())
        await db.dispose()
        rounds = []
        for processes in (1, 3):
            async with AsyncExitStack() as stack:
                cluster = Cluster(url, chats, rate)
                try:
                    await cluster.start(stack, processes)
                    await updates(cluster, chats[:people], 5)  # warm up every process
                    rounds.append(await updates(cluster, chats[:people], per_person))
                    print(f"   {processes} process(es): {rounds[-1].rate:.0f} updates/s")
                    if processes == 3:
                        outbox = await broadcast(cluster, org_id, count)
                        leader, took = await takeover(cluster)
                        outbox.takeover = took
                finally:
                    await cluster.stop()
    finally:
        await drop_database(name)
    body = _section(header, rounds, outbox, leader)
    print(body)
    if args.write:
        write_section("scaleout", body)


def _section(header: str, rounds: list[Round], outbox: Outbox, leader: int) -> str:
    one = rounds[0].rate
    rows = [
        [str(r.processes), f"{r.rate:.0f}", f"**{r.rate / one:.2f}**",
         f"{percentile(r.latencies, 0.5) * 1000:.1f}",
         f"{percentile(r.latencies, 0.99) * 1000:.1f}",
         " / ".join(str(s) for s in r.shares)]
        for r in rounds
    ]  # fmt: skip
    floor = outbox.members / (3 * outbox.rate)
    return "\n\n".join([
        "## Three processes on one PostgreSQL (target 7)",
        header,
        "Webhook mode, a fake Bot API per process; this process spreads the updates round "
        "robin, as a load balancer would (50 members in a closed loop: /help, /study, "
        "/deadlines, /my). A webhook's answer comes once the update was handled and its "
        "replies sent: latency is the POST's duration.",
        table(["processes", "updates/s", "against one process", "p50 ms", "p99 ms",
               "updates served by each"], rows),
        f"Outbox: a broadcast to {outbox.members:,} members at MASSLINE_SEND_RATE="
        f"{outbox.rate:g} per process, drained by all three (FOR UPDATE SKIP LOCKED): "
        f"sent by each **{' / '.join(str(s) for s in outbox.shares)}**, in "
        f"{outbox.elapsed:.1f} s against a floor of {floor:.1f} s (N / (3 × rate)).",
        f"Scheduler: one process held the advisory lock (process {leader + 1}); killed "
        f"with SIGKILL, another took the scheduler over after **{outbox.takeover:.1f} s** "
        "(target < 30 s; it tries every 5 s). A kill in the middle of a broadcast loses "
        "nobody and sends at most the in-flight window twice: tests/test_scale_out.py.",
    ])  # fmt: skip
