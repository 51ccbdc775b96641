"""Due moments: what features want done at a time (a reminder, a broadcast), handed to the
outbox once each, however many processes run and however long the service was down.

A feature contributes a *source*: given a window of time, the moments due in it. Every
few seconds the scheduler asks all sources for the moments up to now; each moment is
handled in a savepoint that first records its key in ``scheduler_run`` (unique), then
queues its messages — so a second process, or a restart, finds the key and does nothing.
Many moments share one transaction (10,000 reminders due at once are 500 moments, say).
A moment missed by more than the grace window is recorded as skipped, not sent late.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, Services
from handlers.messages import Incoming
from handlers.state import Dialogue
from storage import runs
from storage.db import Database, is_transient
from storage.models import Organization
from storage.repos import Repos
from storage.study_models import SchedulerRun

log = logging.getLogger(__name__)
GRACE = timedelta(hours=1)
HORIZON = timedelta(days=7)  # how far back a restart still looks, to record skips
ON_TIME = timedelta(minutes=2)
# Moments handled per transaction, fewer once their fan-outs have queued this many
# messages: one commit for many small fan-outs, and SQLite's write lock never held long.
GROUP_MOMENTS, GROUP_MESSAGES = 50, 1_000
FALLBACK_ZONE = "Asia/Shanghai"

FanOut = Callable[[Context, bool], Awaitable[int]]  # (ctx, late) → messages queued


Warm = Callable[[Repos], Awaitable[list[Any]]]  # the rows it read, held while the group runs


@dataclass(frozen=True)
class Due:
    key: str  # unique for the moment, e.g. "session:12:day_before"
    at: datetime
    fan_out: FanOut = field(compare=False)
    # Reads the rows the fan-outs of a group of moments need, in a query or two, before
    # they run (a source shares one among its moments; each group runs it once).
    warm: Warm | None = field(default=None, compare=False)


Source = Callable[[Repos, datetime, datetime], Awaitable[list[Due]]]


@dataclass
class Report:
    sent: int = 0
    late: int = 0
    skipped: int = 0
    messages: int = 0
    lateness: list[float] = field(default_factory=list)


def org_zone(org: Organization | None) -> ZoneInfo:
    """An organization's time zone; organizations are created with the service's."""
    return ZoneInfo(org.timezone if org is not None and org.timezone else FALLBACK_ZONE)


def job_context(db: Repos, services: Services) -> Context:
    """A context for work nobody's message started: language defaults, no member."""
    return Context(Incoming("scheduler", "-"), db, services, Dialogue(), services.default_language)


async def run_due(
    db: Database,
    services: Services,
    sources: Sequence[Source],
    now: datetime,
    *,
    grace: timedelta = GRACE,
) -> Report:
    async def collect(session: AsyncSession) -> list[Due]:
        repos = Repos(session)
        found: list[Due] = []
        for source in sources:
            found += [d for d in await source(repos, now - HORIZON, now) if d.at <= now]
        if not found:
            return []
        keys = [d.key for d in found]
        query = select(SchedulerRun.key).where(col(SchedulerRun.key).in_(keys))
        done = set((await session.exec(query)).all())
        once = {d.key: d for d in reversed(found) if d.key not in done}  # the first of a key
        return sorted(once.values(), key=lambda d: d.at)

    report = Report()
    due = await db.run(collect)
    start = 0
    while start < len(due):
        try:
            handled = await db.run(
                lambda s, rest=due[start:]: _handle_group(s, services, rest, now, grace)
            )
        except Exception:
            log.exception("%d due moments failed; retried at the next tick", len(due) - start)
            break
        start += len(handled)
        for moment, outcome, count in handled:
            _count(report, outcome, count, (now - moment.at).total_seconds())
    return report


def _count(report: Report, outcome: str, messages: int, late: float) -> None:
    if outcome == "skipped":
        report.skipped += 1
    elif outcome in ("sent", "late"):
        report.messages += messages
        report.lateness.append(late)
        report.late += outcome == "late"
        report.sent += outcome == "sent"


async def _handle_group(
    session: AsyncSession, services: Services, due: list[Due], now: datetime, grace: timedelta
) -> list[tuple[Due, str, int]]:
    """The first moments of ``due`` in one transaction (one commit for many small fan-outs):
    their keys recorded in one statement, then each fan-out in a savepoint of its own, so
    that one failing rolls back only itself (and its key, so it is tried again)."""
    group = due[:GROUP_MOMENTS]
    outcomes = {d.key: _outcome(now - d.at, grace) for d in group}
    ours = await runs.claim(session, [(d.key, d.at, outcomes[d.key]) for d in group], now)
    repos = Repos(session)
    warms = {id(d.warm): d.warm for d in group if d.warm and d.key in ours}.values()
    held = [await warm(repos) for warm in warms]  # the session's identity map keeps them
    handled: list[tuple[Due, str, int]] = []
    recipients: dict[str, int] = {}
    undo: list[str] = []
    queued = 0
    for moment in group:
        outcome = outcomes[moment.key]
        if queued >= GROUP_MESSAGES:
            if moment.key in ours:
                undo.append(moment.key)  # the next transaction's
            continue
        if moment.key not in ours or outcome == "skipped":
            handled.append((moment, outcome if moment.key in ours else "done elsewhere", 0))
            continue
        try:
            async with session.begin_nested():
                count = await moment.fan_out(job_context(repos, services), outcome == "late")
        except Exception as exc:
            if is_transient(exc):
                raise  # the transaction is gone: the whole group again, or at the next tick
            log.exception("due moment %s failed; retried at the next tick",
                          moment.key.split(":")[0])  # fmt: skip
            undo.append(moment.key)
            outcome, count = "failed", 0
        handled.append((moment, outcome, count))
        recipients[moment.key] = count
        queued += count
    del held
    await runs.unclaim(session, undo)
    await runs.count_recipients(session, {k: n for k, n in recipients.items() if n})
    return handled


def _outcome(late: timedelta, grace: timedelta) -> str:
    """A moment missed by more than the grace is recorded as skipped, not sent late."""
    return "skipped" if late > grace else ("late" if late > ON_TIME else "sent")


async def next_due(
    db: Database, sources: Sequence[Source], now: datetime, within: timedelta
) -> datetime | None:
    """The soonest moment not handed over yet in (now, now + within): the scheduler sleeps
    until it rather than to its next tick, so nothing waits a tick for its turn."""

    async def peek(session: AsyncSession) -> datetime | None:
        repos, end = Repos(session), now + within
        found: list[Due] = []
        for source in sources:
            found += [d for d in await source(repos, now, end) if now < d.at < end]
        if not found:
            return None
        query = select(SchedulerRun.key).where(col(SchedulerRun.key).in_([d.key for d in found]))
        done = set((await session.exec(query)).all())
        return min((d.at for d in found if d.key not in done), default=None)

    return await db.run(peek)
