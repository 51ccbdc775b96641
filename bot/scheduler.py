"""The scheduler: turns due moments (reminders, broadcasts) and the features' periodic work
(the daily anonymous release, overdue reminders) into outbox rows.

Due moments are checked every few seconds, so a reminder is queued within seconds of its
time; periodic jobs run once a minute. Both are idempotent (handlers/schedule.py), so a
second process or a late tick sends nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Services
from handlers.registry import DUE_SOURCES, JOBS, Job
from handlers.schedule import GRACE, Report, run_due
from storage.db import Database
from storage.repos import Repos

log = logging.getLogger(__name__)
DUE_TICK = 5.0
JOB_EVERY = 12  # due ticks between periodic jobs: once a minute


class Scheduler:
    def __init__(
        self,
        db: Database,
        services: Services,
        *,
        on_queued: Callable[[], None] | None = None,
        tick: float = DUE_TICK,
        grace: timedelta = GRACE,
    ) -> None:
        self.db = db
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

    async def _loop(self) -> None:
        ticks = 0
        while True:
            try:
                await self.run_due()
                if ticks % JOB_EVERY == 0:
                    await self.run_jobs()
            except Exception:
                log.exception("scheduler tick failed; trying again")
            ticks += 1
            await asyncio.sleep(self.tick)
