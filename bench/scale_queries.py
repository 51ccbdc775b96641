"""The chat-facing queries at scale: every SQL statement the core runs while members use
the chat, timed at the driver (cursor execute, which on both engines includes running the
query), grouped by statement, with the query plans of the hot ones.

The core runs in this process (the Dispatcher with the real router, as a channel calls
it), against the generated campaign: a sample of members of every role across the
organizations, each sending the commands their role has.
"""

from __future__ import annotations

import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, text
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.report import percentile
from bench.scale_data import ORGS, TELEGRAM_BASE, WEB_SHARE, web_token
from config.i18n import default_catalog
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.messages import Incoming
from handlers.registry import DUE_SOURCES, JOBS, build_router
from handlers.schedule import HORIZON
from storage.db import Database
from storage.repos import Repos
from storage.types import utcnow

EVERYONE = ["/help", "/study", "/deadlines", "/my", "/ledger", "/survey"]
BY_ROLE = {"cadre": ["/tasks"], "leader": ["/tasks", "/admin"], "admin": ["/admin", "/items"],
           "supervisor": ["/bulletin"]}  # fmt: skip
SCHEDULER, JOBS_RUN = "(scheduler: due moments)", "(scheduler: minute jobs)"
BACKGROUND_RUNS = 10
SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)", re.IGNORECASE)


@dataclass
class Statement:
    sql: str
    times: list[float] = field(default_factory=list)
    commands: set[str] = field(default_factory=set)
    slowest: tuple[float, Any] = (0.0, None)
    plan: list[str] = field(default_factory=list)

    @property
    def background(self) -> bool:
        return any(c.startswith("(") for c in self.commands)

    @property
    def tables(self) -> str:
        found = re.findall(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)", self.sql, re.IGNORECASE)
        kind = self.sql.split(None, 1)[0].upper()
        return f"{kind} " + " ⋈ ".join(dict.fromkeys(found))


@dataclass
class Findings:
    statements: dict[str, Statement]
    commands: dict[str, list[float]]  # command → whole-message times

    def hot(self, messages: int) -> list[Statement]:
        """Run by at least 5% of messages, or slow at the 99th percentile (> 2 ms; the
        scheduler's, > 1 ms)."""
        limit = {True: 0.001, False: 0.002}
        return [s for s in self.ordered() if (not s.background and len(s.times) >= messages / 20)
                or percentile(s.times, 0.99) > limit[s.background]]  # fmt: skip

    def ordered(self) -> list[Statement]:
        return sorted(self.statements.values(), key=lambda s: -percentile(s.times, 0.99))


class Recorder:
    """Times every statement on the engine, under the command being handled."""

    def __init__(self, db: Database) -> None:
        self.engine = db.engine.sync_engine
        self.command = ""
        self.statements: dict[str, Statement] = {}
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(
        self, conn: Any, _c: Any, statement: str, params: Any, _ctx: Any, many: bool
    ) -> None:
        took = time.perf_counter() - conn.info["bench_started"].pop()
        if SKIP.match(statement) or not self.command:
            return
        found = self.statements.setdefault(statement, Statement(statement))
        found.times.append(took)
        found.commands.add(self.command)
        if took > found.slowest[0] and not many:
            found.slowest = (took, params)


def people(members: int, rng: random.Random, sample: int) -> list[tuple[int, str]]:
    """(member id, role) of a sample spread over every organization, the office of each
    sampled organization included (the generator makes each one's first member admin)."""
    per_org = members // ORGS
    picked = {org * per_org + 1 for org in rng.sample(range(ORGS), min(ORGS, sample // 8))}
    picked |= set(rng.sample(range(1, members + 1), sample - len(picked)))
    return sorted((m, "") for m in picked)


def incoming(member_id: int, text_: str) -> Incoming:
    if member_id % WEB_SHARE == 0:
        from bot.channels.webchat import user_key

        return Incoming("webchat", user_key(web_token(member_id)), text=text_)
    if member_id % 5 == 1:
        return Incoming("wechat", f"o{member_id:010d}", text=text_)
    return Incoming("telegram", str(TELEGRAM_BASE + member_id), text=text_)


async def measure(db: Database, members: int, sample: int) -> tuple[Findings, int]:
    services = Services(catalog=default_catalog(), zone=ZoneInfo("Asia/Shanghai"),
                        default_language="zh", web_url="http://127.0.0.1:8080")  # fmt: skip
    dispatcher = Dispatcher(db, services, build_router())
    roles = await _roles(db)
    rng = random.Random(5)
    plan = []
    for member_id, _ in people(members, rng, sample):
        role = roles.get(member_id, "member")
        plan += [(member_id, command) for command in EVERYONE + BY_ROLE.get(role, [])]
    rng.shuffle(plan)
    for member_id, command in plan[: len(plan) // 5]:  # warm the caches, compile the SQL
        await dispatcher.handle(incoming(member_id, command))
    recorder = Recorder(db)
    commands: dict[str, list[float]] = defaultdict(list)
    try:
        for member_id, command in plan:
            recorder.command = command
            started = time.perf_counter()
            await dispatcher.handle(incoming(member_id, command))
            commands[command].append(time.perf_counter() - started)
        await background(db, services, recorder, commands)
    finally:
        recorder.command = ""
        recorder.close()
    findings = Findings(recorder.statements, dict(commands))
    for statement in findings.hot(len(plan)):
        statement.plan = await explain(db, statement)
    return findings, len(plan)


async def background(
    db: Database, services: Services, recorder: Recorder, times: dict[str, list[float]]
) -> None:
    """What the scheduler asks every few seconds (every source of due moments over the
    week it looks back) and the periodic jobs, each a few times, rolled back after."""
    now = utcnow()
    for _ in range(BACKGROUND_RUNS):
        async with db.engine.connect() as conn, AsyncSession(bind=conn) as session:
            repos = Repos(session)
            recorder.command = SCHEDULER
            started = time.perf_counter()
            for source in DUE_SOURCES:
                await source(repos, now - HORIZON, now)
            times[SCHEDULER].append(time.perf_counter() - started)
            recorder.command = JOBS_RUN
            started = time.perf_counter()
            for _name, job in JOBS:
                await job(repos, services, now)
            times[JOBS_RUN].append(time.perf_counter() - started)
            await session.rollback()


async def _roles(db: Database) -> dict[int, str]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(text("SELECT id, role FROM member WHERE role <> 'member'"))
        return {int(i): str(r) for i, r in rows.all()}


async def explain(db: Database, statement: Statement) -> list[str]:
    if not statement.sql.lstrip().upper().startswith("SELECT"):
        return []
    params = statement.slowest[1] or ()
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN (COSTS OFF) "
    async with db.engine.connect() as conn:
        rows = (await conn.exec_driver_sql(prefix + statement.sql, params)).all()
    if db.is_sqlite:
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]
