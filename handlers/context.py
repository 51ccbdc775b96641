"""Everything a handler gets: the message, the member, the dialogue, storage and services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from config.i18n import Catalog
from handlers.messages import Button, Incoming, Queued, Reply, Text, to_json
from handlers.state import AttemptLimiter, Dialogue, MemoryDialogues, MixPool
from storage.models import ChannelIdentity, Member, Organization
from storage.repos import Repos
from storage.types import utcnow

if TYPE_CHECKING:
    from handlers.router import Router


@dataclass
class Services:
    """Long-lived things the service builds once and hands to every handler."""

    catalog: Catalog
    zone: ZoneInfo
    default_language: str
    web_url: str
    telegram_username: str | None = None
    clock: Callable[[], datetime] = utcnow
    memory: MemoryDialogues = field(default_factory=MemoryDialogues)
    invite_guesses: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(10, 600))
    receipt_guesses: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(10, 600))
    anon_submissions: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(5, 3600))
    checkin_guesses: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(10, 600))
    ratings: MixPool = field(default_factory=MixPool)
    surveys: MixPool = field(default_factory=MixPool)
    max_text: int = 4096
    router: Router | None = None
    # (channel, the channel's file handle) → the file's bytes, or None where the channel
    # cannot fetch it; set by the outer ring, so handlers can show a photo a member sent.
    fetch_media: Callable[[str, str], Awaitable[bytes | None]] | None = None


@dataclass
class Context:
    msg: Incoming
    db: Repos
    services: Services
    dialogue: Dialogue
    lang: str
    member: Member | None = None
    identity: ChannelIdentity | None = None
    org: Organization | None = None
    args: str = ""
    params: tuple[str, ...] = ()
    replies: list[Reply] = field(default_factory=list)
    queued: int = 0
    cache: dict[str, Any] = field(default_factory=dict)  # what one message looked up once

    # Words

    def t(self, key: str, /, **params: object) -> str:
        return self.services.catalog.text(self.lang, key, **params)

    def say(
        self, key: str, /, *, buttons: tuple[tuple[Button, ...], ...] = (), **params: object
    ) -> None:
        self.replies.append(Text(self.t(key, **params), buttons))

    def send(self, reply: Reply) -> None:
        self.replies.append(reply)

    # Time, in the organization's zone

    @property
    def zone(self) -> ZoneInfo:
        if self.org is not None and self.org.timezone:
            return ZoneInfo(self.org.timezone)
        return self.services.zone

    def now(self) -> datetime:
        return self.services.clock()

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    # Dialogue

    def begin(
        self,
        feature: str,
        step: str,
        data: dict[str, Any] | None = None,
        *,
        anonymous: bool = False,
    ) -> None:
        self.dialogue.feature, self.dialogue.step = feature, step
        self.dialogue.data = dict(data or {})
        self.dialogue.anonymous = anonymous

    def end(self) -> None:
        self.dialogue.clear()

    # Reaching people later: through the outbox, delivered by the outer ring

    async def push(
        self,
        member: Member,
        replies: list[Reply] | list[Queued],
        *,
        kind: str,
        dedupe_key: str | None = None,
        not_before: datetime | None = None,
        batch: str | None = None,
    ) -> None:
        if member.id is None:
            raise ValueError("cannot push to an unsaved member")
        await self.db.outbox.enqueue(
            member.id,
            kind,
            to_json(replies),
            dedupe_key=dedupe_key,
            not_before=not_before,
            batch=batch,
        )
        self.queued += 1

    async def push_many(
        self,
        pushes: list[tuple[Member, list[Reply]]],
        *,
        kind: str,
        dedupe: str | None = None,
        batch: str | None = None,
    ) -> int:
        """A fan-out: many members' messages in a few statements rather than one each.
        With ``dedupe``, each row's key is ``{dedupe}:{member id}``, so a second fan-out
        of the same moment writes nothing. Returns how many were handed over."""
        rows: list[dict[str, Any]] = []
        payloads: dict[int, list[dict[str, Any]]] = {}  # one per distinct list of replies
        for member, replies in pushes:
            if member.id is None:
                raise ValueError("cannot push to an unsaved member")
            payload = payloads.get(id(replies))
            if payload is None:
                payload = payloads[id(replies)] = to_json(replies)
            rows.append({"member_id": member.id, "kind": kind, "payload": payload,
                         "dedupe_key": f"{dedupe}:{member.id}" if dedupe else None,
                         "batch": batch})  # fmt: skip
        await self.db.outbox.enqueue_many(rows)
        self.queued += len(rows)
        return len(rows)

    def text_for_default(self, key: str, /, **params: object) -> str:
        """A message in the organization's default language, for text stored for anyone."""
        return self.services.catalog.text(self.services.default_language, key, **params)

    def text_for(self, member: Member, key: str, /, **params: object) -> str:
        """A message in the recipient's language rather than the sender's."""
        lang = member.language or self.services.default_language
        return self.services.catalog.text(lang, key, **params)
