"""Dialogue state as handlers see it, and the in-memory store for anonymous dialogues."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

ANONYMOUS_TTL = 30 * 60.0


@dataclass
class Dialogue:
    """Where one chat account stands: which feature's step waits for its next message."""

    feature: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    anonymous: bool = False
    language: str | None = None

    @property
    def active(self) -> bool:
        return self.feature is not None

    def clear(self) -> None:
        self.feature, self.step, self.data, self.anonymous = None, None, {}, False


class MemoryDialogues:
    """Anonymous dialogues never touch the database (SPEC §6); they expire and die with us."""

    def __init__(self, ttl: float = ANONYMOUS_TTL) -> None:
        self.ttl = ttl
        self._items: dict[tuple[str, str], tuple[float, Dialogue]] = {}

    def get(self, channel: str, user_key: str) -> Dialogue | None:
        key = (channel, user_key)
        item = self._items.get(key)
        if item is None:
            return None
        stamp, dialogue = item
        if time.monotonic() - stamp > self.ttl:
            del self._items[key]
            return None
        return dialogue

    def put(self, channel: str, user_key: str, dialogue: Dialogue) -> None:
        self._sweep()
        self._items[(channel, user_key)] = (time.monotonic(), dialogue)

    def drop(self, channel: str, user_key: str) -> None:
        self._items.pop((channel, user_key), None)

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, (stamp, _) in self._items.items() if now - stamp > self.ttl]:
            del self._items[key]


class AttemptLimiter:
    """Counts failed attempts per key in a sliding window; memory only, forgotten on expiry."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[object, list[float]] = {}

    def blocked(self, key: object) -> bool:
        return len(self._recent(key)) >= self.limit

    def hit(self, key: object) -> None:
        self._recent(key).append(time.monotonic())

    def _recent(self, key: object) -> list[float]:
        cutoff = time.monotonic() - self.window
        if len(self._hits) > 10_000:
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > cutoff}
        hits = [t for t in self._hits.get(key, []) if t > cutoff]
        self._hits[key] = hits
        return hits


class _Held:
    __slots__ = ("lock", "owner", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[Any] | None = None
        self.users = 0


class KeyedLocks:
    """One lock per key, kept only while someone holds or waits for it. Waiters get it in
    the order they asked; the task holding a key may take it again (a channel holds a chat
    across a whole update, and the dispatcher takes the same chat inside)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, _Held] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        task = asyncio.current_task()
        held = self._locks.get(key)
        if held is not None and task is not None and held.owner is task:
            yield
            return
        if held is None:
            held = self._locks[key] = _Held()
        held.users += 1
        try:
            async with held.lock:
                held.owner = task
                try:
                    yield
                finally:
                    held.owner = None
        finally:
            held.users -= 1
            if held.users == 0:
                del self._locks[key]


class MixPool:
    """Anonymous choices (ratings, survey answers) wait here, in memory only, until enough
    people's can be written in one transaction: then not even the order of writes can tie
    one person to one choice (SPEC §6). ``scope`` groups what may be mixed (an organization)."""

    def __init__(self, size: int = 5) -> None:
        self.size = size
        self._entries: dict[Hashable, list[tuple[Hashable, object]]] = {}
        self.flushed_on: dict[Hashable, object] = {}  # the day a scope's remainder was written

    def holds(self, scope: Hashable, who: Hashable) -> bool:
        return any(w == who for w, _ in self._entries.get(scope, []))

    def add(self, scope: Hashable, who: Hashable, entry: object) -> list[tuple[Hashable, object]]:
        """Keep an entry; returns the whole batch (and forgets it) once it is big enough."""
        batch = self._entries.setdefault(scope, [])
        batch.append((who, entry))
        return self.take(scope) if len(batch) >= self.size else []

    def take(self, scope: Hashable) -> list[tuple[Hashable, object]]:
        return self._entries.pop(scope, [])

    def scopes(self) -> list[Hashable]:
        return list(self._entries)
