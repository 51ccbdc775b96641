"""The deliverer: claims outbox rows, sends each within its channel's limits, records how
it went (see the package's docstring for the guarantees)."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial

from bot.channels.base import Blocked, Channel, RetryLater, Undeliverable
from bot.delivery.pacing import LIMITS, Gate, GiveBack, Limits, Pace, Turns, parked, split_parts
from bot.delivery.record import Outcome, backoff, book
from bot.delivery.stored import FileCache, MissingFile
from handlers.messages import Reply, from_json
from storage.db import Database
from storage.models import ChannelIdentity, OutboxMessage, OutboxStatus
from storage.types import utcnow

log = logging.getLogger(__name__)
IN_FLIGHT = 16  # requests out whose outcome is not committed yet: the most a crash doubles
AHEAD = 0.25  # seconds of sending claimed ahead (besides the window); a crash only delays them
LEASE = 5.0  # seconds a claim lasts (renewed halfway while held): a dead process's rows wait
IDLE_POLL = 1.0
STOP_GRACE = 5.0
FLOOD = "flood control"  # the reason channels give with RetryLater for a flood wait


class Deliverer:
    def __init__(
        self,
        db: Database,
        channels: Mapping[str, Channel],
        *,
        rate: float,
        rates: Mapping[str, float] | None = None,
        running: Callable[[str], bool] | None = None,
        in_flight: int = IN_FLIGHT,
        lease: float = LEASE,
    ) -> None:
        self.db, self.channels, self.rate = db, channels, rate
        self.files = FileCache(db)
        self.rates, self.running = dict(rates or {}), running or (lambda _name: True)
        self.in_flight, self.lease = in_flight, lease
        self.prefetch = in_flight + math.ceil(max([rate, *self.rates.values()]) * AHEAD)
        self.paces: dict[str, Pace] = {}
        self.gates: dict[str, Gate] = {}
        self.turns = Turns()
        self._refused: dict[int, datetime] = {}  # identity id → when it refused us
        self._held: dict[int, float] = {}  # row id → when its lease wants renewing
        self._done: list[Outcome] = []
        self._slots = asyncio.Semaphore(in_flight)
        self._signal = asyncio.Event()  # new rows queued, or outcomes to record
        self._due: list[float] = []  # (a heap) when rows we put back fall due again
        self._claiming, self._stopping = True, False
        self._rows: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._signal.set()

    async def start(self) -> None:
        self._claiming, self._stopping = True, False
        self._held, self._done = {}, []
        self._slots = asyncio.Semaphore(self.in_flight)
        self._loop = asyncio.create_task(self._bookkeep(), name="outbox-delivery")

    async def stop(self) -> None:
        """Stop claiming, let rows in flight finish (briefly), commit what is known."""
        if self._loop is None:
            return
        self._claiming = False
        if self._rows:
            await asyncio.wait(self._rows, timeout=STOP_GRACE)
        for task in list(self._rows):
            await _cancel(task)
        self._stopping = True  # the loop records what is known, then ends
        self._signal.set()
        try:
            await asyncio.wait_for(self._loop, STOP_GRACE)
        except Exception:
            log.warning("outcomes of the last pushes were not recorded; they may be sent again")
        self._loop = None

    # One transaction per cycle: record what finished, renew leases, claim more

    async def _bookkeep(self) -> None:
        starved = False
        while True:
            if not (self._done or self._renewals()) and (starved or not self._room()):
                self._signal.clear()
                soonest = self._due[0] if self._due else math.inf
                wait = min(IDLE_POLL, max(0.0, soonest - time.monotonic()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._signal.wait(), wait)
                starved = False  # woken, or time to look for retries that fell due
                while self._due and self._due[0] <= time.monotonic():
                    heapq.heappop(self._due)
            try:
                starved = await self._cycle()
            except Exception:
                log.exception("outbox bookkeeping failed; the window waits, then retries")
                if self._stopping:
                    raise
                await asyncio.sleep(0.5)
            if self._stopping and not self._done:
                return

    def _room(self) -> bool:
        # Claim when half the rows ahead are gone: most cycles only record, and stay short.
        return self._claiming and self._ahead() <= self.prefetch // 2

    def _ahead(self) -> int:  # claimed, unfinished, and not parked behind a slower channel
        fastest = max([self.rate, *(self.rates.get(n, self.rate) for n in self.channels)])
        return len(self._held) - len(self._done) - parked(self.paces.values(), fastest)

    def _renewals(self) -> list[int]:
        now, finished = time.monotonic(), {o.row_id for o in self._done}
        return [i for i, due in self._held.items() if due < now and i not in finished]

    async def _cycle(self) -> bool:
        """Returns whether the outbox had nothing for us."""
        done, renew, room = list(self._done), self._renewals(), self._room()
        limit = self.prefetch - self._ahead() if room else 0
        if not done and not renew and not limit:
            return False
        skip = set(self._held) - {o.row_id for o in done}
        work = await self.db.run(
            partial(book, done=done, renew=renew, limit=limit, lease=self.lease, skip=skip)
        )
        del self._done[: len(done)]
        now = time.monotonic()
        for row_id in renew:
            if row_id in self._held:
                self._held[row_id] = now + self.lease / 2
        for outcome in done:
            self._held.pop(outcome.row_id, None)
            if outcome.slot:
                self._slots.release()
            if outcome.status is None and outcome.delay < IDLE_POLL * 60:  # put back
                heapq.heappush(self._due, now + outcome.delay + 0.01)
        for row, identities in work:
            assert row.id is not None
            self._held[row.id] = now + self.lease / 2
            task = asyncio.create_task(self._run(row, identities))
            self._rows.add(task)
            task.add_done_callback(self._rows.discard)
        return bool(limit) and not work

    # Sending one row

    async def _run(self, row: OutboxMessage, identities: list[ChannelIdentity]) -> None:
        assert row.id is not None
        out = Outcome(row.id)
        try:
            await self._deliver(row, identities, out)
        except asyncio.CancelledError:
            if not out.sent:  # nothing went out: hand the row straight back
                self._finish(Outcome(row.id, counted=False, slot=out.slot))
            raise
        except Exception as exc:
            log.exception("delivering an outbox row failed")
            out.status, out.error, out.delay = None, repr(exc), backoff(row.attempts)
        self._finish(out)

    async def _deliver(self, row: OutboxMessage, ids: list[ChannelIdentity], out: Outcome) -> None:
        refused: list[int] = []
        starting = False
        for identity in ids:
            if not self._usable(identity):
                continue
            if not self.running(identity.channel):  # the member's next channel, or wait
                starting = True
                continue
            out.channel = identity.channel
            try:
                replies = await self.files.replies(from_json(row.payload))
                await self._send_row(identity, replies, out, row.kind)
            except Blocked:
                assert identity.id is not None
                self._refused[identity.id] = utcnow()
                refused.append(identity.id)
                out.blocked = tuple(refused)
                continue
            except GiveBack as wait:
                out.delay, out.counted = wait.delay, False
            except (Undeliverable, MissingFile) as exc:
                out.status, out.error = OutboxStatus.failed, str(exc)
            except Exception as exc:  # 5xx, timeouts, a lost answer: back off
                log.warning("push via %s failed: %s", identity.channel, type(exc).__name__)
                least = exc.delay if isinstance(exc, RetryLater) else 0.0  # the channel's ask
                out.delay, out.error = max(least, backoff(row.attempts)), f"{exc!r}"
            else:
                out.status = OutboxStatus.sent
            return
        out.channel = None
        if starting:  # only a channel still starting may reach them: back off, as on a fault
            out.delay, out.error = backoff(row.attempts), "channel not running"
        else:
            out.status = OutboxStatus.unreachable
            out.error = "blocked" if refused else "no reachable channel"

    def _usable(self, identity: ChannelIdentity) -> bool:
        if not identity.reachable or identity.channel not in self.channels:
            return False
        refused = self._refused.get(identity.id or 0)
        return refused is None or identity.last_seen_at > refused  # they wrote to us since

    async def _send_row(
        self, identity: ChannelIdentity, replies: list[Reply], out: Outcome, kind: str
    ) -> None:
        name, chat = identity.channel, identity.external_id
        limits = LIMITS.get(name, Limits())
        if name not in self.gates:
            self.gates[name], self.paces[name] = Gate(), Pace(self.rates.get(name, self.rate))
        gate, pace = self.gates[name], self.paces[name]
        for index, part in enumerate(split_parts(replies, limits.text_limit)):
            while True:
                first = index == 0 and not out.slot  # nothing of the row has gone out yet
                await self.turns.wait((name, chat), first=first)
                await gate.wait()
                sent = await pace.wait(hold=first) if limits.paced else None
                try:
                    if not out.slot:  # after the pace: a slower channel's queue holds no slot
                        await self._slots.acquire()
                        out.slot = True
                    if not self._usable(identity):
                        raise Blocked("refused a moment ago")  # by another row's request
                    if gate.paused or self.turns.busy((name, chat)):
                        continue  # a pause began, or another row took this chat's turn
                    self.turns.take((name, chat), limits.per_chat)
                    out.sent = True
                    await self.channels[name].deliver(chat, [part], kind=kind)
                except RetryLater as exc:
                    if str(exc) != FLOOD:
                        raise
                    gate.pause(exc.delay)
                    log.warning("%s: flood control, no sends for %.1fs", name, exc.delay)
                    continue
                finally:
                    if sent is not None:
                        sent.finish()
                    if out.sent:
                        self.turns.answered((name, chat), limits.per_chat)
                break

    def _finish(self, outcome: Outcome) -> None:
        self._done.append(outcome)
        self._signal.set()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
