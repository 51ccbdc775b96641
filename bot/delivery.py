"""Drains the outbox through the running channels, never faster than the send rate.

A row is marked sent only after its channel confirmed it; rows claimed by a process that
dies come back once their lease runs out, so a crash costs at most the messages in
flight a second copy, never a lost one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import Blocked, Channel, RetryLater, Undeliverable
from handlers.messages import from_json
from storage.db import Database
from storage.models import ChannelIdentity, Member, OutboxMessage, OutboxStatus
from storage.repos import Repos

log = logging.getLogger(__name__)
IDLE_POLL = 1.0


class Pace:
    """Spaces sends evenly at ``rate`` per second (no bursts beyond one)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class Outcome:
    message_id: int
    status: OutboxStatus | None  # None: try again later
    channel: str | None = None
    delay: float = 0.0
    error: str = ""
    blocked_identity: int | None = None


class Deliverer:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        *,
        rate: float,
        batch: int = 50,
        in_flight: int = 8,
    ) -> None:
        self.db = db
        self.channels = channels
        self.pace = Pace(rate)
        self.batch = batch
        self._slots = asyncio.Semaphore(in_flight)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="outbox-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                delivered = await self.drain_once()
            except Exception:
                log.exception("delivery round failed; retrying shortly")
                delivered = 0
                await asyncio.sleep(IDLE_POLL)
            if delivered == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL)

    async def drain_once(self) -> int:
        """Claim one batch of due messages, send them, record how each went."""
        work = await self.db.run(self._claim)
        if not work:
            return 0
        outcomes = await asyncio.gather(*(self._send(row, ids) for row, ids in work))
        await self.db.run(lambda session: _record(session, outcomes))
        return len(outcomes)

    async def _claim(
        self, session: AsyncSession
    ) -> list[tuple[OutboxMessage, list[ChannelIdentity]]]:
        repos = Repos(session)
        rows = await repos.outbox.claim(self.batch)
        work = []
        for row in rows:
            member = await repos.members.get(row.member_id)
            identities = await repos.members.identities(row.member_id) if member else []
            work.append((row, _in_order(identities, member)))
        return work

    async def _send(self, row: OutboxMessage, identities: list[ChannelIdentity]) -> Outcome:
        assert row.id is not None
        usable = [i for i in identities if i.reachable and i.channel in self.channels]
        if not usable:
            return Outcome(row.id, OutboxStatus.unreachable, error="no reachable channel")
        identity = usable[0]
        async with self._slots:
            await self.pace.wait()
            try:
                await self.channels[identity.channel].deliver(
                    identity.external_id, from_json(row.payload)
                )
            except Blocked as exc:
                return Outcome(row.id, None, error=f"blocked: {exc}", blocked_identity=identity.id)
            except RetryLater as exc:
                return Outcome(row.id, None, delay=exc.delay, error=str(exc))
            except Undeliverable as exc:
                return Outcome(row.id, OutboxStatus.failed, identity.channel, error=str(exc))
            except Exception as exc:
                log.warning("push via %s failed: %s", identity.channel, type(exc).__name__)
                return Outcome(row.id, None, delay=2.0 ** min(row.attempts, 8), error=repr(exc))
        return Outcome(row.id, OutboxStatus.sent, identity.channel)


def _in_order(identities: list[ChannelIdentity], member: Member | None) -> list[ChannelIdentity]:
    """The channel the member used last first, then the rest by recent use."""
    if member is None:
        return []
    return sorted(identities, key=lambda i: i.channel != member.last_channel)


async def _record(session: AsyncSession, outcomes: list[Outcome]) -> None:
    repos = Repos(session)
    for outcome in outcomes:
        if outcome.blocked_identity is not None:
            await repos.members.mark_unreachable(outcome.blocked_identity)
        if outcome.status is None:
            await repos.outbox.retry_later(outcome.message_id, outcome.delay, outcome.error)
        else:
            await repos.outbox.finish(
                outcome.message_id, outcome.status, channel=outcome.channel, error=outcome.error
            )
