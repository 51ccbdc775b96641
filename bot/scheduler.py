"""The scheduler: once a minute, the features' timed work turns into outbox rows.

Each feature's job is idempotent (it marks what it did in the same transaction as the
messages it queues, with dedupe keys), so a second process or a late tick sends nothing
twice. The study/reminders issue grows this into per-minute fan-out with a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.context import Services
from handlers.opinions import jobs as opinion_jobs
from storage.db import Database
from storage.repos import Repos

log = logging.getLogger(__name__)
TICK = 60.0
Job = Callable[[Repos, Services, datetime], Awaitable[dict[str, int]]]
JOBS: tuple[tuple[str, Job], ...] = (("opinions", opinion_jobs.run_due),)


class Scheduler:
    def __init__(
        self,
        db: Database,
        services: Services,
        *,
        on_queued: Callable[[], None] | None = None,
        tick: float = TICK,
    ) -> None:
        self.db = db
        self.services = services
        self.on_queued = on_queued
        self.tick = tick
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> dict[str, dict[str, int]]:
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
        while True:
            await self.run_once()
            await asyncio.sleep(self.tick)
