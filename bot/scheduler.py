"""The scheduler: turns due moments (reminders, broadcasts) and the features' periodic work
(the daily anonymous release, overdue reminders) into outbox rows.

Due moments are checked every few seconds, and between checks the scheduler sleeps until
the next moment it knows of, so a reminder is queued at its time, not up to a tick later;
periodic jobs run once a minute. Both are idempotent (handlers/schedule.py), so a second
process or a late tick sends nothing twice. With several processes on one PostgreSQL, one
runs it at a time (bot/leadership.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.leadership import Leadership
from handlers.context import Services
from handlers.registry import DUE_SOURCES, JOBS, Job
from handlers.schedule import GRACE, Report, next_due, run_due
from storage.db import Database
from storage.repos import Repos

log = logging.getLogger(__name__)
DUE_TICK = 5.0
JOB_EVERY = 60.0  # seconds between runs of the periodic jobs
FIRST_TICK = 1.0  # after start-up: the service answers first, then catches up on work


class Scheduler:
    def __init__(
        self,
        db: Database,
        services: Services,
        *,
        on_queued: Callable[[], None] | None = None,
        tick: float = DUE_TICK,
        grace: timedelta = GRACE,
        leadership: Leadership | None = None,
    ) -> None:
        self.db = db
        self.leadership = leadership or Leadership(db)
        self.services = services
        self.on_queued = on_queued
        self.tick = tick
        self.grace = grace
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.leadership.release()

    async def run_due(self) -> Report:
        report = await run_due(
            self.db, self.services, DUE_SOURCES, self.services.clock(), grace=self.grace
        )
        if report.messages and self.on_queued is not None:
            self.on_queued()
        if report.skipped:
            log.warning("skipped %d due moments missed by more than %s", report.skipped, self.grace)
        return report

    async def run_jobs(self) -> dict[str, dict[str, int]]:
        now = self.services.clock()
        results: dict[str, dict[str, int]] = {}
        for name, job in JOBS:

            async def work(session: AsyncSession, job: Job = job) -> dict[str, int]:
                return await job(Repos(session), self.services, now)

            try:
                results[name] = await self.db.run(work)
            except Exception:
                log.exception("scheduled job %s failed; it runs again next minute", name)
        if self.on_queued is not None:
            self.on_queued()
        return results

    async def until_next(self) -> float:
        """Seconds to sleep: to the next known moment, at most a tick."""
        now = self.services.clock()
        soonest = await next_due(self.db, DUE_SOURCES, now, timedelta(seconds=self.tick))
        if soonest is None:
            return self.tick
        left = (soonest - self.services.clock()).total_seconds() + 0.005  # not a hair early
        return min(self.tick, max(0.0, left))

    async def _loop(self) -> None:
        jobs_at = 0.0
        await asyncio.sleep(FIRST_TICK)
        while True:
            wait = self.tick
            try:
                if await self.leadership.holds():
                    await self.run_due()
                    if time.monotonic() >= jobs_at:
                        jobs_at = time.monotonic() + JOB_EVERY
                        await self.run_jobs()
                    wait = await self.until_next()
                else:
                    jobs_at = 0.0  # a new leader runs them at once
            except Exception:
                log.exception("scheduler tick failed; trying again")
            await asyncio.sleep(wait)
