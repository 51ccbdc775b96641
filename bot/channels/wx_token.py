"""One access-token keeper per app: every send of that app shares one token.

The token is fetched before it expires (``early`` seconds ahead, at most half its life);
an expired or revoked token reported by the API (40001, 40014, 42001) is replaced once,
however many sends saw it at the same moment: an asyncio lock lets one refresh run and
the others take its result. WeChat invalidates an Official Account's previous token when
a new one is fetched, so two refreshes racing would be worse than slow.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Fetch = Callable[[], Awaitable[tuple[str, float]]]  # the token and its life in seconds
EARLY = 300.0


class TokenKeeper:
    def __init__(
        self,
        fetch: Fetch,
        *,
        early: float = EARLY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self.early = early
        self.clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.refreshes = 0  # how many times a token was fetched (for tests and logs)

    def _valid(self) -> str | None:
        return self._token if self._token and self.clock() < self._renew_at else None

    async def get(self) -> str:
        """A token that is good for a while yet."""
        token = self._valid()
        if token is not None:
            return token
        async with self._lock:
            return self._valid() or await self._refresh()

    async def renew(self, stale: str) -> str:
        """The API refused ``stale``: fetch another, unless someone already has."""
        async with self._lock:
            current = self._valid()
            if current is not None and current != stale:
                return current
            return await self._refresh()

    def forget(self) -> None:
        self._token, self._renew_at = None, 0.0

    async def _refresh(self) -> str:
        token, life = await self._fetch()
        self.refreshes += 1
        ahead = min(self.early, max(life, 0.0) / 2)
        self._token, self._renew_at = token, self.clock() + max(life, 0.0) - ahead
        return token
