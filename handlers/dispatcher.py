"""The conversation core: one incoming message in, its replies out.

It loads the member and their dialogue, lets the router pick a handler, saves the
dialogue, and commits it all in one transaction; a transient database failure retries the
whole of it, then apologises. Nothing a channel does lives here, and nothing here knows
which channel it serves.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from copy import deepcopy
from dataclasses import dataclass, replace

from sqlmodel.ext.asyncio.session import AsyncSession

from config.i18n import normalize_language
from handlers.context import Context, Services
from handlers.feature import Access, Handler, allows
from handlers.messages import Incoming, Reply, Text
from handlers.router import MENU_PREFIX, Router
from handlers.state import Dialogue, KeyedLocks
from storage.db import Database, is_transient
from storage.models import ChannelIdentity, Member
from storage.repos import Repos

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    lang: str
    member: bool


class Dispatcher:
    def __init__(
        self,
        db: Database,
        services: Services,
        router: Router,
        *,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.services = services
        self.router = router
        self.on_queued = on_queued
        self._locks = KeyedLocks()
        services.router = router

    async def handle(self, msg: Incoming) -> list[Reply]:
        msg = clean_incoming(msg)
        # One message at a time per chat account: a double tap on 提交 is two messages,
        # and the second must see what the first did.
        async with self.turn(msg.channel, msg.user_key):
            return await self._handle_locked(msg)

    def turn(self, channel: str, user_key: str) -> AbstractAsyncContextManager[None]:
        """A chat account's turn, in the order asked for. A channel that handles several
        updates at once takes it around a whole update (its replies sent too), so that
        one chat's answers keep their order; ``handle`` inside then goes straight on."""
        return self._locks.hold((channel, user_key))

    async def _handle_locked(self, msg: Incoming) -> list[Reply]:
        try:
            ctx = await self.db.run(lambda session: self._handle(session, msg))
        except Exception as exc:
            lang = normalize_language(msg.language_hint) or self.services.default_language
            if is_transient(exc):
                log.warning("database unavailable after retries: %s", type(exc).__name__)
                return [Text(self.services.catalog.text(lang, "error.busy"))]
            # Only the exception's type and where it happened: its message may quote a
            # value (asyncpg's do), and the message being handled may be anonymous.
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error(
                "handler failed on a %s message: %s\n%s", msg.channel, type(exc).__name__, frames
            )
            return [Text(self.services.catalog.text(lang, "error.internal"))]
        memory = self.services.memory
        if ctx.dialogue.anonymous and ctx.dialogue.active:
            memory.put(msg.channel, msg.user_key, ctx.dialogue)
        else:
            memory.drop(msg.channel, msg.user_key)
        if ctx.queued and self.on_queued is not None:
            self.on_queued()
        return ctx.replies

    async def profile(self, channel: str, user_key: str, hint: str | None = None) -> Profile:
        """Language and membership of a chat account, for a channel's own page chrome."""

        async def look(session: AsyncSession) -> Profile:
            msg = Incoming(channel, user_key, language_hint=hint)
            ctx = await self._load(Repos(session), msg, touch=False)
            return Profile(ctx.lang, ctx.member is not None)

        return await self.db.run(look)

    async def _handle(self, session: AsyncSession, msg: Incoming) -> Context:
        db = Repos(session)
        ctx = await self._load(db, msg)
        await self._route(ctx)
        keep = ctx.dialogue if not ctx.dialogue.anonymous else Dialogue()
        await db.dialogue.save(
            msg.channel,
            msg.user_key,
            feature=keep.feature,
            step=keep.step,
            data=keep.data,
            language=ctx.dialogue.language,
        )
        return ctx

    async def _load(self, db: Repos, msg: Incoming, *, touch: bool = True) -> Context:
        identity, member, org, row = await db.members.arrival(msg.channel, msg.user_key)
        if identity is not None:
            db.dialogue.looked_up(msg.channel, msg.user_key, row)
        else:
            row = await db.dialogue.load(msg.channel, msg.user_key)
        if member is not None and not member.active:
            member, org = None, None
        dialogue = self.services.memory.get(msg.channel, msg.user_key)
        if dialogue is None:
            # A deep copy: a step that appends to a list in it must not change the row,
            # which DialogueRepo.save compares it with to see whether anything changed.
            dialogue = Dialogue(row.feature, row.step, deepcopy(row.data)) if row else Dialogue()
        dialogue.language = row.language if row else None
        lang = (
            (member.language if member else None)
            or dialogue.language
            or normalize_language(msg.language_hint)
            or self.services.default_language
        )
        ctx = Context(msg, db, self.services, dialogue, lang, member, identity, org)
        if (
            touch
            and not dialogue.anonymous
            and identity is not None
            and member is not None
            and _stale(ctx, identity, member)
        ):
            await db.members.seen(identity, member)
        return ctx

    async def _route(self, ctx: Context) -> None:
        msg = ctx.msg
        if not msg.private:
            ctx.say("error.private_only")
            return
        if msg.payload:
            await self._button(ctx, msg.payload)
            return
        text = (msg.text or "").strip()
        if len(text) > self.services.max_text:
            ctx.say("error.too_long", limit=self.services.max_text, length=len(text))
            return
        if text:
            parsed = self.router.parse(text)
            if parsed.command is not None:
                ctx.args = parsed.args
                await self._run(ctx, parsed.command.access, parsed.command.handler)
                return
            if parsed.unknown is not None:
                ctx.args = parsed.unknown
                await self.router.fallback(ctx)
                return
        step = self.router.step(ctx.dialogue)
        if step is not None:
            ctx.args = text
            await self._run(ctx, step.access, step.handler)
            return
        if ctx.dialogue.active:
            ctx.end()  # a step from an older version of the bot: start afresh
        ctx.args = text
        await self.router.fallback(ctx)

    async def _button(self, ctx: Context, payload: str) -> None:
        if payload.startswith(MENU_PREFIX):
            command = self.router.commands.get(payload.removeprefix(MENU_PREFIX))
            if command is not None:
                await self._run(ctx, command.access, command.handler)
                return
        else:
            action, params = self.router.button(payload)
            if action is not None:
                ctx.params = params
                await self._run(ctx, action.access, action.handler)
                return
        ctx.say("error.stale_button")
        await self.router.menu(ctx)

    async def _run(self, ctx: Context, access: Access, handler: Handler) -> None:
        role = ctx.member.role if ctx.member else None
        if allows(access, role):
            await handler(ctx)
        elif ctx.member is None:
            ctx.say("access.join_first")
        else:
            ctx.say("access.denied")


def _stale(ctx: Context, identity: ChannelIdentity, member: Member) -> bool:
    """Whether this account's standing changed: it came back after being unreachable, or
    the member switched channels (pushes follow the channel used last).

    Deliberately not on every message: a write tied to the member in the moments before
    an anonymous opinion is stored would let a database reader line the two up (SPEC §6).
    """
    return not identity.reachable or member.last_channel != ctx.msg.channel


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _clean(text: str | None) -> str | None:
    """Text no database or channel can take: NUL (PostgreSQL refuses it) and lone
    surrogates (not UTF-8) become nothing and U+FFFD, once, before any handler sees them."""
    if text is None or not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def clean_incoming(msg: Incoming) -> Incoming:
    return replace(
        msg,
        text=_clean(msg.text),
        payload=_clean(msg.payload),
        display_name=_clean(msg.display_name),
    )
