"""The limits a channel imposes on pushes: a pace, a pause on flood control, and parts.

The limits hold where they are counted, at the server, whatever the jitter on the way:
a request has reached the server by the time its answer is back, so ``Pace`` starts the
request ``rate`` places after another only a second after that one was answered, and
``Turns`` starts a chat's next message only a second after its last was answered. Within
that, sends are spaced evenly at ``rate`` per second.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from handlers.messages import Reply, Text, split_text

PER_CHAT_INTERVAL = 1.0  # Telegram: about one message a second to one private chat
CATCH_UP = 0.05  # seconds a late pace may make up for with quicker sends
CHAT_HOLD = 1.5  # a row that would wait longer for its chat goes back instead of idling
PACE_HOLD = 3.0  # … or for its channel's pace: a slow channel's rows make way for the others


@dataclass(frozen=True)
class Limits:
    paced: bool = True
    per_chat: float = PER_CHAT_INTERVAL
    text_limit: int | None = None  # longer texts are sent as spaced parts


# Channels not named here get the defaults; the web chat only writes to our own database.
# WeCom drops, without an error, app messages beyond 30 a minute to one member: one in 2 s.
LIMITS = {
    "telegram": Limits(text_limit=4096),
    "webchat": Limits(paced=False, per_chat=0.0),
    "wecom": Limits(per_chat=2.0),
}


class Sent:
    """One request's place in the pace: when it was answered, once it was."""

    def __init__(self) -> None:
        self.at = time.monotonic()
        self.answered = asyncio.Event()

    def finish(self) -> None:
        if not self.answered.is_set():
            self.at = time.monotonic()
            self.answered.set()


class Pace:
    """At most ``rate`` requests reach the server in any second, evenly spaced. Every
    ``wait()`` must be followed by ``finish()`` on what it returns (sent or not)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.burst = max(1, math.floor(rate))
        self._recent: deque[Sent] = deque(maxlen=self.burst)
        self._next = 0.0
        self._lock = asyncio.Lock()
        self.waiting = 0

    def behind(self) -> float:
        """About how long a request asking now would wait for its turn."""
        return max(0.0, self._next - time.monotonic()) + self.waiting * self.interval

    async def wait(self, *, hold: bool = False) -> Sent:
        """With ``hold``, GiveBack rather than queue for longer than PACE_HOLD."""
        if hold and (behind := self.behind()) > PACE_HOLD:
            raise GiveBack(behind)
        self.waiting += 1
        try:
            return await self._take()
        finally:
            self.waiting -= 1

    async def _take(self) -> Sent:
        async with self._lock:
            while True:
                ready = self._next
                if len(self._recent) == self.burst:
                    oldest = self._recent[0]
                    if not oldest.answered.is_set():
                        await oldest.answered.wait()
                        continue
                    ready = max(ready, oldest.at + 1.0)
                now = time.monotonic()
                if ready <= now:
                    break
                await asyncio.sleep(ready - now)
            sent = Sent()
            self._recent.append(sent)
            # Keep to the even grid when woken a little late (the window above still
            # holds); start afresh after idling.
            base = self._next if now - self._next < CATCH_UP else now
            self._next = base + self.interval
            return sent


def parked(paces: Iterable[Pace], fastest: float) -> int:
    """Rows queued in a pace slower than the ``fastest`` rate: few (PACE_HOLD's worth each),
    and not counted as rows claimed ahead, so that they never hold a faster channel back."""
    return sum(p.waiting for p in paces if p.interval > 1.0 / fastest)


class Gate:
    """Closed while the channel asks us to wait (flood control): nobody sends through it."""

    def __init__(self) -> None:
        self._until = 0.0
        self.pauses = 0

    def pause(self, seconds: float) -> None:
        self._until = max(self._until, time.monotonic() + seconds)
        self.pauses += 1

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._until

    async def wait(self) -> None:
        left = self._until - time.monotonic()
        while left > 0:  # a pause may be lengthened while we sleep
            await asyncio.sleep(left)
            left = self._until - time.monotonic()


class GiveBack(Exception):
    """The row's chat is busy for a while: put the row back rather than hold a slot."""

    def __init__(self, delay: float) -> None:
        self.delay = delay


class Turns:
    """When each chat may get its next message (in this process)."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], float] = {}

    async def wait(self, chat: tuple[str, str], *, first: bool) -> None:
        """Until the chat's turn; raises GiveBack for a long wait before a row's first part."""
        wait = self._next.get(chat, 0.0) - time.monotonic()
        while wait > 0:
            if first and wait > CHAT_HOLD:
                raise GiveBack(wait)
            await asyncio.sleep(wait)
            wait = self._next.get(chat, 0.0) - time.monotonic()

    def busy(self, chat: tuple[str, str]) -> bool:
        return self._next.get(chat, 0.0) > time.monotonic()

    def take(self, chat: tuple[str, str], spacing: float) -> None:
        """A message to the chat is starting (others wait at least ``spacing``)."""
        now = time.monotonic()
        if len(self._next) > 10_000:
            self._next = {k: t for k, t in self._next.items() if t > now}
        self._next[chat] = now + spacing

    def answered(self, chat: tuple[str, str], spacing: float) -> None:
        """The message was answered: the chat's next one a full ``spacing`` from now."""
        self._next[chat] = max(self._next.get(chat, 0.0), time.monotonic() + spacing)


def split_parts(replies: list[Reply], limit: int | None) -> list[Reply]:
    """One reply per request: long texts cut where the channel would cut them, the buttons
    under the last part, so that every request can be paced and spaced on its own."""
    parts: list[Reply] = []
    for reply in replies:
        if limit is None or not isinstance(reply, Text) or len(reply.text) <= limit:
            parts.append(reply)
            continue
        chunks = split_text(reply.text, limit)
        last = len(chunks) - 1
        parts += [Text(c, reply.buttons if i == last else ()) for i, c in enumerate(chunks)]
    return parts
