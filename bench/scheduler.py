"""Target 6: 10,000 reminders due in the same minute, handed to the outbox within 5 s.

Two shapes of one city-wide moment: 500 organizations whose study sessions all start at
the same time (500 due moments of 20 reminders each), and one session of 10,000 (one due
moment). Each on a migrated SQLite file, members with Telegram accounts, the service a
real ``python -m bot run`` (its scheduler; its deliverer sending at Telegram's 30/s to the
tests' fake Bot API meanwhile, as in production). A thread in this process polls the
outbox and stamps each reminder when its row becomes visible (committed): its lateness
is that stamp minus the moment it was due.

The peer, in the same run, on the same database: one APScheduler job per reminder
(``bench.apscheduler_peer``), library defaults (in-memory store, 1 s misfire grace).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import seeding
from bench.report import machine, percentile, table, write_section
from bench.service import ROOT, Service, clean_env, free_port
from storage.db import Database
from storage.migrate import upgrade
from tests.fakes import FakeTelegram

REMIND_BEFORE = timedelta(minutes=60)  # the organizations' remind_minutes_before
LEAD = 12.0  # seconds from seeding the sessions to their reminders' moment


@dataclass
class Lateness:
    name: str
    reminders: int
    late: list[float] = field(default_factory=list)  # seconds, one per reminder handed over
    fired: list[float] = field(default_factory=list)  # the peer's jobs: when they ran
    missed: int = 0
    cpu: float = 0.0

    def row(self) -> list[str]:
        def p(values: list[float], q: float) -> str:
            return f"{percentile(values, q):.2f}" if values else "–"

        handed = len(self.late)
        within = sum(1 for x in self.late if x <= 5.0)
        return [self.name, f"{self.reminders:,}", f"{handed:,}", p(self.fired, 0.99),
                p(self.late, 0.5), f"**{p(self.late, 0.99)}**", p(self.late, 1.0),
                f"{within:,}", str(self.missed)]  # fmt: skip


class Watcher(threading.Thread):
    """Stamps outbox rows of one kind as they become visible to another connection."""

    def __init__(self, path: Path, kind: str, expected: int, due: float) -> None:
        super().__init__(daemon=True)
        self.path, self.kind, self.expected, self.due = path, kind, expected, due
        self.stamps: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30)
        seen = 0
        query = "SELECT count(*) FROM outbox WHERE kind = ?"
        while not self.stop.is_set() and seen < self.expected:
            count = conn.execute(query, (self.kind,)).fetchone()[0]
            if count != seen:
                self.stamps.append((time.time(), count))
                seen = count
            time.sleep(0.01)
        conn.close()

    def lateness(self) -> list[float]:
        late, before = [], 0
        for at, count in self.stamps:
            late += [at - self.due] * (count - before)
            before = count
        return late


async def ours(path: Path, orgs: list[int], reminders: int, name: str) -> Lateness:
    url = f"sqlite:///{path}"
    async with FakeTelegram() as fake:
        fake.limit_rate(30)
        for chat in range(seeding.FIRST_CHAT, seeding.FIRST_CHAT + reminders):
            fake.user(chat, "成员").log.started = True
        env = clean_env(MASSLINE_DATABASE_URL=url, MASSLINE_TELEGRAM_TOKEN=fake.token,
                        MASSLINE_TELEGRAM_API_URL=fake.url, MASSLINE_SEND_RATE="30",
                        MASSLINE_WEB_PORT=str(free_port()), MASSLINE_LOG_LEVEL="INFO")  # fmt: skip
        service = await Service.start(env, "telegram: @")
        try:
            due = time.time() + LEAD
            db = Database(url)
            starts = datetime.fromtimestamp(due, UTC) + REMIND_BEFORE
            await seeding.sessions(db, orgs, starts)
            await db.dispose()
            watcher = Watcher(path, "study_reminder", reminders, due)
            watcher.start()
            cpu = service.cpu()
            await asyncio.to_thread(watcher.join, LEAD + 120)
            watcher.stop.set()
            result = Lateness(name, reminders, watcher.lateness(), cpu=service.cpu() - cpu)
        finally:
            await service.stop()
    if "Traceback" in service.log:
        print(service.log[-3000:])
    return result


async def peer(path: Path, reminders: int, name: str) -> Lateness:
    due = time.time() + LEAD + 5  # it reads and schedules 10,000 jobs first
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.apscheduler_peer", f"sqlite:///{path}", str(due),
        cwd=ROOT, env=clean_env(), stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    found = json.loads(out.decode().strip().splitlines()[-1])
    return Lateness(name, found["jobs"], [t - due for t in found["handed"]],
                    fired=[t - due for t in found["fired"]], missed=found["missed"])  # fmt: skip


async def shape(directory: Path, orgs: int, per_org: int) -> list[Lateness]:
    path = directory / f"scheduler-{orgs}x{per_org}.db"
    db = Database(f"sqlite:///{path}")
    await upgrade(db)
    org_ids = await seeding.organizations(db, orgs, remind_day_before_at="",
                                          remind_minutes_before=60)  # fmt: skip
    await seeding.members(db, org_ids, per_org)
    await db.dispose()
    label = f"{orgs} sessions × {per_org}" if orgs > 1 else f"1 session × {per_org:,}"
    found = [await ours(path, org_ids, orgs * per_org, f"massline, {label}")]
    found.append(await peer(path, orgs * per_org, f"APScheduler job per reminder, {label}"))
    return found


async def run(args: argparse.Namespace) -> None:
    shapes = [(50, 20), (1, 1_000)] if args.quick else [(500, 20), (1, 10_000)]
    header = machine()
    results: list[Lateness] = []
    with tempfile.TemporaryDirectory(prefix="massline-bench-") as tmp:
        for orgs, per_org in shapes:
            for result in await shape(Path(tmp), orgs, per_org):
                print("   " + " | ".join(result.row()))
                results.append(result)
    body = _section(header, results)
    print(body)
    if args.write:
        write_section("scheduler", body)


def _section(header: str, results: list[Lateness]) -> str:
    head = ["scheduler", "reminders", "handed over", "job fired p99 s", "lateness p50 s",
            "lateness p99 s (target ≤ 5)", "max s", "within 5 s", "missed"]  # fmt: skip
    return "\n\n".join(
        [
            "## Reminders due at once (target 6)",
            header,
            "Lateness: from the moment a reminder was due to its outbox row being committed "
            "(visible to another connection, polled every 10 ms). Massline: a real "
            "`python -m bot run` on SQLite, its deliverer sending at 30/s meanwhile. The "
            "peer: one in-memory APScheduler job per reminder, each job writing its row in "
            'a transaction of its own; "missed" are jobs APScheduler dropped for being '
            "more than its default 1 s misfire grace late.",
            table(head, [r.row() for r in results]),
        ]
    )
