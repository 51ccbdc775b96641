"""Telegram's sending limits, as this channel keeps them (issue 9).

Telegram asks bots to stay under about 30 messages a second when they *notify many
people*, one a second in one chat, 20 a minute in a group; beyond that it answers 429
with a time to wait. Two kinds of sending live here:

- **Pushes** (reminders, broadcasts, news: the outbox) are the bulk notifications that
  limit is about. bot/delivery paces them at ``MASSLINE_SEND_RATE`` and one a second per
  chat, and waits out a 429 itself by pausing every push; here they pass straight through.
- **Replies** answer a member who has just written, in that member's chat. They are not
  throttled ahead: each person waits for their own answer, so a chat cannot outrun one
  reply per message, and holding every reply of the service to 30 a second would turn
  a busy minute into a queue that grows while people wait (it capped the whole service
  at 24 updates a second; BENCHMARKS.md). Group chats keep PTB's 20 a minute. Should
  Telegram answer 429 all the same, the reply waits out the time it names, once, here.

``REPLIES_PER_SECOND`` is that choice in one place (0: not throttled ahead).
"""

from __future__ import annotations

import time
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

REPLIES_PER_SECOND: float = 0
PUSH = -1  # rate_limit_args of a push: bot/delivery paces it and waits out floods itself


class RepliesRateLimiter(AIORateLimiter):
    """Replies wait out a flood-control answer here; pushes pass straight through, so that
    the deliverer can pause every push on the channel and keep its own pace. Either way
    it notes when Telegram last said to wait (``flooded``)."""

    def __init__(self, replies_per_second: float = REPLIES_PER_SECOND) -> None:
        super().__init__(overall_max_rate=replies_per_second, max_retries=1)
        self._flooded_until = 0.0

    def flooded(self, margin: float = 0.0) -> bool:
        """Whether Telegram has asked us to wait, and the time it named (and ``margin``
        seconds more) has not passed."""
        return time.monotonic() < self._flooded_until + margin

    async def process_request(  # type: ignore[override]
        self, callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
        data: dict[str, Any], rate_limit_args: int | None,
    ) -> Any:  # fmt: skip
        async def noting(*call_args: Any, **call_kwargs: Any) -> Any:
            try:
                return await callback(*call_args, **call_kwargs)
            except RetryAfter as exc:
                wait = exc.retry_after
                seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
                self._flooded_until = max(self._flooded_until, time.monotonic() + seconds)
                raise

        if rate_limit_args == PUSH:
            return await noting(*args, **kwargs)
        return await super().process_request(noting, args, kwargs, endpoint, data, rate_limit_args)
