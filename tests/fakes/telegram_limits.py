"""Telegram's limits on sending, as its servers count them: at most ``per_second`` messages
in any second over all chats, and at most one a ``per_chat`` seconds to one chat. A send
beyond either is answered 429 "Too Many Requests: retry after N", as Telegram answers it.

    fake.limit_rate(30)        # Telegram's documented 30 messages/s (and 1/s per chat)
    ...
    assert fake.rate_limit.refused == []

Counted on arrival at the server, over the requests it accepted (a refused one is not a
message sent, so it takes no place in the window).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from tests.fakes.telegram_objects import JSON, ApiError

SENDS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "sendvideo", "sendaudio",
     "sendvoice", "sendanimation", "sendsticker", "sendlocation", "sendcontact", "sendpoll",
     "copymessage", "forwardmessage"}
)  # fmt: skip


@dataclass
class Refusal:
    at: float
    method: str
    chat_id: str
    why: str  # "overall" or "chat"


@dataclass
class RateLimit:
    per_second: float
    per_chat: float = 1.0  # seconds between two messages to one chat; 0 for no such limit
    retry_after: int = 1
    accepted: int = 0
    refused: list[Refusal] = field(default_factory=list)
    _window: deque[float] = field(default_factory=deque)
    _last: dict[str, float] = field(default_factory=dict)

    @property
    def capacity(self) -> int:
        return max(1, math.floor(self.per_second))

    def check(self, method: str, params: JSON, at: float) -> ApiError | None:
        """None when this request may go through (and it is counted), else the 429."""
        if method.lower() not in SENDS:
            return None
        chat = str(params.get("chat_id"))
        while self._window and at - self._window[0] >= 1.0:
            self._window.popleft()
        why = ""
        if len(self._window) >= self.capacity:
            why = "overall"
        elif self.per_chat and at - self._last.get(chat, -math.inf) < self.per_chat:
            why = "chat"
        if why:
            self.refused.append(Refusal(at, method, chat, why))
            text = f"Too Many Requests: retry after {self.retry_after}"
            return ApiError(429, text, retry_after=self.retry_after)
        self._window.append(at)
        self._last[chat] = at
        self.accepted += 1
        return None
