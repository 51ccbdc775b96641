"""The fake Bot API of the tests, timed: it notes when each reply arrives, per chat.

The load driver pushes updates into a fresh ``FakeTelegram`` per contender and waits on
these arrival times, so every bot is driven and timed the same way: closed loop (each
simulated person sends their next message only once the previous one was answered) and
open-loop burst (everything queued at once; time to drain).
"""

# ruff: noqa: ASYNC109  (waiting with a deadline is what these helpers are for)

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import FakeTelegram, FakeUser
from tests.fakes.telegram_objects import JSON, Upload, now
from tests.fakes.telegram_records import ChatLog

FIRST_USER_ID = 900_000_001


@dataclass(frozen=True)
class Step:
    """One update a simulated person sends: a typed message or a button tap."""

    kind: str  # "message" or "callback_query"
    text: str  # the message text, or the button's callback data


class TimedTelegram(FakeTelegram):
    """A FakeTelegram that timestamps every message the bot sends, per chat."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[int, list[float]] = {}
        self._waiters: dict[int, tuple[int, asyncio.Future[float]]] = {}

    def _post(
        self, log: ChatLog, method: str, content: JSON, p: JSON, upload: Upload | None = None
    ) -> JSON:
        message = super()._post(log, method, content, p, upload)
        times = self.arrivals.setdefault(log.id, [])
        times.append(time.perf_counter())
        waiter = self._waiters.get(log.id)
        if waiter is not None and len(times) >= waiter[0] and not waiter[1].done():
            waiter[1].set_result(times[waiter[0] - 1])
        return message

    def sent_to(self, chat_id: int) -> int:
        return len(self.arrivals.get(chat_id, ()))

    async def arrival(self, chat_id: int, count: int, timeout: float = 30.0) -> float:
        """When the ``count``-th message to this chat arrived (waiting for it if need be)."""
        times = self.arrivals.setdefault(chat_id, [])
        if len(times) >= count:
            return times[count - 1]
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiters[chat_id] = (count, future)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise RuntimeError(
                f"chat {chat_id}: {len(times)} replies after {timeout}s, expected {count}"
            ) from None
        finally:
            self._waiters.pop(chat_id, None)

    def people(self, count: int) -> list[FakeUser]:
        """``count`` people who have each written to the bot before (members, when seeded)."""
        users = []
        for index in range(count):
            user = self.user(FIRST_USER_ID + index, f"成员{index + 1}", language_code="zh-hans")
            user.log.started = True
            users.append(user)
        return users


@dataclass
class Timings:
    updates: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.updates / self.elapsed if self.elapsed > 0 else 0.0


Fill = Callable[[int, str], str]  # (the person's index, a step's text) → the text sent


class Load:
    """Drives ``users`` through ``steps``, each user starting at its own offset (one of
    ``starts``: the first steps of the mix's scenes, so nobody starts mid-dialogue);
    ``fill`` completes a step's text for the person sending it (a code, an id)."""

    def __init__(
        self,
        fake: TimedTelegram,
        users: list[FakeUser],
        steps: list[Step],
        *,
        starts: Sequence[int] = (0,),
        fill: Fill | None = None,
    ) -> None:
        self.fake, self.users, self.steps = fake, users, steps
        self.replies: list[int] = []  # messages the bot sends per step, from calibrate()
        self._next = {user.chat_id: starts[index % len(starts)] for index, user in enumerate(users)}
        self._person = {user.chat_id: index for index, user in enumerate(users)}
        self._fill = fill

    async def send(self, user: FakeUser, step: Step) -> None:
        await self.fake.push(*self.update(user, step))

    def update(self, user: FakeUser, step: Step) -> tuple[str, JSON]:
        """The update ``user`` sends for ``step``: its kind and its body."""
        text = step.text
        if self._fill is not None:
            text = self._fill(self._person[user.chat_id], text)
        if step.kind == "message":
            return "message", user.compose(**user.typed(text))
        shown = {"message_id": user.log.new_id(), "from": self.fake.bot, "chat": user.log.chat,
                 "date": now(), "text": "菜单"}  # fmt: skip
        user.log.messages[shown["message_id"]] = shown
        query: dict[str, Any] = {"id": self.fake.new_callback_id(), "from": user.who,
                                 "chat_instance": f"ci{user.chat_id}", "message": shown,
                                 "data": text}  # fmt: skip
        return "callback_query", query

    async def calibrate(self, quiet: float = 0.4) -> list[int]:
        """How many messages the bot answers each step with (the first user walks them all)."""
        user, counts = self.users[0], []
        for step in self.steps:
            before = self.fake.sent_to(user.chat_id)
            await self.send(user, step)
            await self.fake.arrival(user.chat_id, before + 1)
            seen = -1
            while seen != self.fake.sent_to(user.chat_id):
                seen = self.fake.sent_to(user.chat_id)
                await asyncio.sleep(quiet)
            counts.append(seen - before)
        self.replies = counts
        return counts

    def _take(self, user: FakeUser) -> tuple[Step, int]:
        index = self._next[user.chat_id]
        self._next[user.chat_id] = (index + 1) % len(self.steps)
        return self.steps[index], self.replies[index]

    async def closed(self, per_user: int) -> Timings:
        """Each user sends ``per_user`` updates, each only after the last was answered."""
        timings = Timings(per_user * len(self.users), 0.0)

        async def person(user: FakeUser) -> None:
            expected = self.fake.sent_to(user.chat_id)
            for _ in range(per_user):
                step, replies = self._take(user)
                expected += replies
                sent = time.perf_counter()
                await self.send(user, step)
                timings.latencies.append(await self.fake.arrival(user.chat_id, expected) - sent)

        start = time.perf_counter()
        await asyncio.gather(*(person(user) for user in self.users))
        timings.elapsed = time.perf_counter() - start
        return timings

    async def burst(self, per_user: int) -> Timings:
        """All updates queued at once (round robin over users); time until all answered."""
        pending: list[tuple[int, int, float]] = []  # chat, replies expected by then, pushed at
        expected = {user.chat_id: self.fake.sent_to(user.chat_id) for user in self.users}
        start = time.perf_counter()
        for _ in range(per_user):
            for user in self.users:
                step, replies = self._take(user)
                expected[user.chat_id] += replies
                pushed = time.perf_counter()
                await self.send(user, step)
                pending.append((user.chat_id, expected[user.chat_id], pushed))
        done = await asyncio.gather(*(self.fake.arrival(c, n, 120) for c, n in expected.items()))
        timings = Timings(len(pending), max(done) - start)
        timings.latencies = [
            await self.fake.arrival(chat, count) - pushed for chat, count, pushed in pending
        ]
        return timings
