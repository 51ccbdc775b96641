"""What the console keeps in memory only: notes shown on the next page after a redirect,
and the per-form nonces that make a double submit create one record, not two.

Both are small, per session, and forgotten after a while or on restart; losing them
costs a note, or lets a double submit across a restart through.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

NOTE_LIMIT = 10
NONCE_TTL = 6 * 3600.0
NONCE_LIMIT = 20_000


class Notes:
    def __init__(self) -> None:
        self._notes: dict[str, list[tuple[str, str]]] = {}

    def add(self, session: str, kind: str, text: str) -> None:
        if len(self._notes) > 5000:
            self._notes.clear()
        self._notes.setdefault(session, []).append((kind, text))
        del self._notes[session][:-NOTE_LIMIT]

    def take(self, session: str) -> list[tuple[str, str]]:
        return self._notes.pop(session, [])


@dataclass
class _Claim:
    at: float
    done: asyncio.Event = field(default_factory=asyncio.Event)
    location: str | None = None


class Nonces:
    """A form's nonce is claimed when its POST arrives; a success records where it led,
    so the same form sent again is sent there too; a refusal frees it for the corrected
    form. A second POST arriving while the first runs waits for it."""

    def __init__(self) -> None:
        self._claims: dict[tuple[str, str], _Claim] = {}

    async def claim(self, key: tuple[str, str]) -> str | None:
        """None: go ahead (the caller must ``succeed`` or ``release``); else the address
        the first submission led to."""
        self._sweep()
        while (found := self._claims.get(key)) is not None:
            if found.location is not None:
                return found.location
            await found.done.wait()
        self._claims[key] = _Claim(time.monotonic())
        return None

    def succeed(self, key: tuple[str, str], location: str) -> None:
        claim = self._claims.get(key)
        if claim is not None:
            claim.location = location
            claim.done.set()

    def release(self, key: tuple[str, str]) -> None:
        claim = self._claims.pop(key, None)
        if claim is not None:
            claim.done.set()

    def _sweep(self) -> None:
        if len(self._claims) < NONCE_LIMIT:
            return
        cutoff = time.monotonic() - NONCE_TTL
        self._claims = {
            k: c for k, c in self._claims.items() if c.at > cutoff or c.location is None
        }
