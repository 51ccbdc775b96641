"""Due moments: what features want done at a time (a reminder, a broadcast), handed to the
outbox once each, however many processes run and however long the service was down.

A feature contributes a *source*: given a window of time, the moments due in it. Every
minute the scheduler asks all sources for the moments up to now; each moment is handled
in its own transaction that first records its key in ``scheduler_run`` (unique), then
queues its messages — so a second process, or a restart, finds the key and does nothing.
A moment missed by more than the grace window is recorded as skipped, not sent late.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Context, Services
from handlers.messages import Incoming
from handlers.state import Dialogue
from storage.db import Database
from storage.models import Organization
from storage.repos import Repos
from storage.study_models import SchedulerRun

log = logging.getLogger(__name__)
GRACE = timedelta(hours=1)
HORIZON = timedelta(days=7)  # how far back a restart still looks, to record skips
ON_TIME = timedelta(minutes=2)
FALLBACK_ZONE = "Asia/Shanghai"

FanOut = Callable[[Context, bool], Awaitable[int]]  # (ctx, late) → messages queued


@dataclass(frozen=True)
class Due:
    key: str  # unique for the moment, e.g. "session:12:day_before"
    at: datetime
    fan_out: FanOut = field(compare=False)


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
        return sorted((d for d in found if d.key not in done), key=lambda d: d.at)

    report = Report()
    for due in await db.run(collect):
        late = now - due.at
        try:
            outcome, count = await db.run(
                lambda s, due=due, late=late: _handle(s, services, due, now, late, grace)
            )
        except Exception:
            log.exception("due moment %s failed; retried next minute", due.key.split(":")[0])
            continue
        if outcome == "skipped":
            report.skipped += 1
            continue
        report.messages += count
        report.lateness.append(late.total_seconds())
        if outcome == "late":
            report.late += 1
        elif outcome == "sent":
            report.sent += 1
    return report


async def _handle(
    session: AsyncSession,
    services: Services,
    due: Due,
    now: datetime,
    late: timedelta,
    grace: timedelta,
) -> tuple[str, int]:
    repos = Repos(session)
    skipped = late > grace
    outcome = "skipped" if skipped else ("late" if late > ON_TIME else "sent")
    run = SchedulerRun(key=due.key, due_at=due.at, ran_at=now, outcome=outcome)
    if not await repos.study.mark_run(run):
        return "done elsewhere", 0
    if skipped:
        return outcome, 0
    run.recipients = await due.fan_out(job_context(repos, services), outcome == "late")
    session.add(run)
    return outcome, run.recipients
