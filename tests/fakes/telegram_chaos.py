"""Random faults on sends, seeded, for fault runs of many messages (issue 10):

    chaos = fake.unleash(Chaos(seed=7, flood=0.05, blocked=0.02, server_error=0.01,
                               lost=0.005, slow=0.02))
    ...
    chaos.events   # what was done to which request, and when

Each send request draws at most one fault: a 429 with ``retry_after`` (flood), a 500
(server_error), the send done but its answer lost (the connection closed instead), or an
answer held back a while (slow). ``blocked`` is a share of *people*: at the first send to
a chat the person may turn out to have blocked the bot, and then every send to them is
refused with 403, as on Telegram. Faults queued with ``fake.inject`` come first.

Same seed, same draws in the same order; the order of requests is the service's, so a
run is repeatable in its figures, not request by request.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tests.fakes.telegram_limits import SENDS
from tests.fakes.telegram_objects import JSON
from tests.fakes.telegram_records import Fault

if TYPE_CHECKING:
    from tests.fakes.telegram_api import FakeTelegram

FLOOD, BLOCKED, SERVER_ERROR, LOST, SLOW = "flood", "blocked", "server_error", "lost", "slow"


@dataclass(frozen=True)
class Event:
    kind: str  # one of the names above
    chat_id: int | None
    at: float  # time.monotonic() when drawn: on arrival, before any delay
    seconds: float = 0.0  # retry_after of a flood, the delay of a slow answer


@dataclass
class Chaos:
    seed: int
    flood: float = 0.0
    blocked: float = 0.0
    server_error: float = 0.0
    lost: float = 0.0
    slow: float = 0.0
    slow_seconds: tuple[float, float] = (0.2, 2.0)  # below the client's 5 s read timeout
    retry_after: int = 1  # whole seconds, as Telegram gives them
    events: list[Event] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def draw(self, fake: FakeTelegram, method: str, params: JSON) -> Fault | None:
        """The fault for this request, if any (called by the fake as a request arrives)."""
        if method.lower() not in SENDS:
            return None
        now, chat = time.monotonic(), _chat(params)
        if chat is not None and chat not in self._seen:
            self._seen.add(chat)
            if self._rng.random() < self.blocked:
                fake.block(chat)  # the fake's own check answers 403, now and from now on
                self.events.append(Event(BLOCKED, chat, now))
        roll = self._rng.random()
        for kind, share in ((FLOOD, self.flood), (SERVER_ERROR, self.server_error),
                            (LOST, self.lost), (SLOW, self.slow)):  # fmt: skip
            if roll < share:
                return self._fault(kind, chat, now)
            roll -= share
        return None

    def _fault(self, kind: str, chat: int | None, now: float) -> Fault:
        if kind == FLOOD:
            self.events.append(Event(FLOOD, chat, now, self.retry_after))
            return Fault.flood(self.retry_after)
        if kind == SERVER_ERROR:
            self.events.append(Event(SERVER_ERROR, chat, now))
            return Fault.server_error()
        if kind == LOST:
            self.events.append(Event(LOST, chat, now))
            return Fault.dropped()
        delay = self._rng.uniform(*self.slow_seconds)
        self.events.append(Event(SLOW, chat, now, delay))
        return Fault.slow(delay)

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    @property
    def blocked_chats(self) -> set[int]:
        return {e.chat_id for e in self.of(BLOCKED) if e.chat_id is not None}


def _chat(params: JSON) -> int | None:
    raw = str(params.get("chat_id"))
    return int(raw) if raw.lstrip("-").isdigit() else None
