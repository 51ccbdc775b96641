"""What a WeChat callback must pass before anything acts on it.

- Its signature: a wrong one gets 403 before any XML is parsed.
- Its timestamp: within ``window`` seconds of our clock (default 5 minutes).
- Its nonce: each is taken once within the window. A nonce seen again with a different body
  is a replay and refused; the very same request again is WeChat retrying it, and goes on
  to the message cache, which answers it as before without acting twice.
- Its size: bodies over the cap get 413 however they are sent (chunked or not).

Everything here lives in memory, expires, and is bounded in size.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from aiohttp import web

from .wx_crypto import signed
from .wx_xml import MAX_BODY

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
WINDOW = 300.0  # seconds a callback's timestamp may be off our clock
READ_CHUNK = 8192


class Expiring(Generic[K, V]):
    """A map whose entries vanish ``ttl`` seconds after they were last put; at most
    ``limit`` of them (the oldest go first)."""

    def __init__(
        self, ttl: float, limit: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.limit, self.clock = ttl, limit, clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        self._prune()
        return len(self._items)

    def get(self, key: K) -> V | None:
        self._prune()
        found = self._items.get(key)
        return found[1] if found is not None else None

    def put(self, key: K, value: V) -> None:
        self._items[key] = (self.clock() + self.ttl, value)
        self._items.move_to_end(key)
        self._prune()

    def pop(self, key: K) -> V | None:
        found = self._items.pop(key, None)
        return found[1] if found is not None else None

    def _prune(self) -> None:
        now = self.clock()
        items = self._items
        while items and (len(items) > self.limit or next(iter(items.values()))[0] <= now):
            items.popitem(last=False)


class Guard:
    """Signature, freshness and nonce checks for one app's callbacks."""

    def __init__(
        self,
        token: str,
        *,
        window: float = WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.window = window
        self.clock = clock
        # A nonce must be remembered for as long as its timestamp is acceptable.
        self.nonces: Expiring[tuple[str, str], bytes] = Expiring(2 * window + 60)

    def check(
        self, given: str | None, timestamp: str | None, nonce: str | None, *signed_too: str
    ) -> tuple[str, str]:
        """Raise 403 unless ``given`` signs token, timestamp, nonce (and ``signed_too``)
        and the timestamp is fresh; returns (timestamp, nonce)."""
        if not given or not timestamp or not nonce or len(nonce) > 64 or len(timestamp) > 16:
            raise web.HTTPForbidden(text="missing signature")
        if not signed(given, self.token, timestamp, nonce, *signed_too):
            raise web.HTTPForbidden(text="bad signature")
        if not self.fresh(timestamp):
            raise web.HTTPForbidden(text="stale or future timestamp")
        return timestamp, nonce

    def fresh(self, timestamp: str) -> bool:
        try:
            sent = int(timestamp)
        except ValueError:
            return False
        return abs(self.clock() - sent) <= self.window

    def once(self, timestamp: str, nonce: str, body: bytes) -> None:
        """Take the nonce; 403 if it came before with another body (a replay)."""
        digest = hashlib.sha256(body).digest()
        seen = self.nonces.get((timestamp, nonce))
        if seen is None:
            self.nonces.put((timestamp, nonce), digest)
        elif seen != digest:
            raise web.HTTPForbidden(text="nonce already used")


async def read_capped(request: web.Request, cap: int = MAX_BODY) -> bytes:
    """The body, or 413 as soon as it is known to be larger than ``cap``."""
    length = request.content_length
    if length is not None and length > cap:
        raise web.HTTPRequestEntityTooLarge(max_size=cap, actual_size=length)
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = await request.content.read(READ_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > cap:
            raise web.HTTPRequestEntityTooLarge(max_size=cap, actual_size=total)
        chunks.append(chunk)
    return b"".join(chunks)
