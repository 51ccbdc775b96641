"""What the WeCom app and the Official Account share: the callback route (checked by
``authentic``, answered by ``answer``), the message cache that answers WeChat's retries,
background work, numbered options, the menu, and sending through the API.

A repeated message (same MsgId, or for events the same sender, time and event) is acted on
once: every copy gets the answer the first one got, for as long as its timestamp could be
accepted. Log lines name the channel and an error type or code, never a person or text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine, Mapping
from typing import Any, TypeVar

from aiohttp import web

from config.i18n import Catalog
from handlers.dispatcher import Dispatcher
from handlers.messages import File, Incoming, Reply, Text
from handlers.state import KeyedLocks

from .wx_api import WxApi, WxError, delivery_error
from .wx_buttons import Options, menu
from .wx_convert import Piece, render
from .wx_guard import Expiring, Guard

log = logging.getLogger(__name__)
T = TypeVar("T")
STOP_GRACE = 2.0


class WxChannel:
    name = "wx"
    path = "/wx/callback"
    ack = ""  # the answer that means "received, nothing to say here"
    cards = False  # WeCom turns a short text with one link into a text card
    sends_files = True  # the Official Account cannot: it says so, in the person's language

    def __init__(
        self, dispatcher: Dispatcher, catalog: Catalog, *, api: WxApi, guard: Guard, language: str
    ) -> None:
        self.dispatcher, self.catalog = dispatcher, catalog
        self.api, self.guard, self.language = api, guard, language
        self.options = Options()
        self.menu_query: dict[str, str] = {}
        self.replays: Expiring[str, asyncio.Task[str]] = Expiring(guard.nonces.ttl)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._order = KeyedLocks()

    # Lifecycle

    async def start(self) -> None:
        await self.api.open()
        await self.api.check()  # wrong credentials: ChannelConfigError, the service stops
        await self._set_menu()

    async def stop(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_GRACE)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.replays = Expiring(self.guard.nonces.ttl)
        await self.api.close()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(self.path, self.verify)
        app.router.add_post(self.path, self.callback)

    def spawn(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Work that outlives the HTTP request (WeChat hangs up after 5 seconds)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: %s in background work", self.name, type(task.exception()).__name__)

    async def _set_menu(self) -> None:
        buttons = menu(self.dispatcher.router.commands.values(), self.catalog, self.language)
        try:
            await self.api.call("menu/create", {"button": buttons}, query=self.menu_query)
        except Exception as exc:  # an unverified account may not have menus: carry on
            log.warning("%s: the menu was not set (%s)", self.name, _reason(exc))

    # Callbacks

    async def verify(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def authentic(self, request: web.Request) -> Mapping[str, str]:
        """The callback's fields, once signature, time, nonce and size are checked."""
        raise NotImplementedError

    async def answer(self, fields: Mapping[str, str]) -> str:
        """The HTTP answer to a new message (plain; ``respond`` seals it if need be)."""
        raise NotImplementedError

    def respond(self, body: str) -> web.Response:
        return web.Response(text=body)

    async def callback(self, request: web.Request) -> web.Response:
        fields = await self.authentic(request)
        key = replay_key(fields)
        pending = self.replays.get(key)
        if pending is None:
            pending = self.spawn(self._answer(fields))
            self.replays.put(key, pending)
        return self.respond(await asyncio.shield(pending))

    async def _answer(self, fields: Mapping[str, str]) -> str:
        try:
            return await self.answer(fields)
        except Exception as exc:
            log.error("%s: %s while answering a callback", self.name, type(exc).__name__)
            return self.ack

    # Replies out

    async def converse(self, incoming: Incoming) -> None:
        """Handle one message and send the replies, one message at a time per account."""
        async with self._order.hold(incoming.user_key):
            replies = await self.dispatcher.handle(incoming)
            await self.quietly(self.send(incoming.user_key, replies))

    async def quietly(self, sending: Awaitable[None]) -> None:
        """Send a reply; a failure is logged (nobody is waiting to be told)."""
        try:
            await sending
        except Exception as exc:
            log.warning("%s: a reply was not sent (%s)", self.name, _reason(exc))

    async def deliver(
        self, external_id: str, replies: list[Reply], *, kind: str | None = None
    ) -> None:
        """A push from the outbox (``kind`` is the outbox row's: see the Official Account)."""
        try:
            await self.send(external_id, replies, push=True)
        except WxError as exc:
            raise delivery_error(exc) from None

    async def send(self, user: str, replies: list[Reply], *, push: bool = False) -> None:
        await self.push_all(user, await self.pieces(user, replies, push=push))

    async def push_all(self, user: str, pieces: list[Piece]) -> None:
        for piece in pieces:
            await self.push(user, piece)

    async def pieces(self, user: str, replies: list[Reply], *, push: bool = False) -> list[Piece]:
        """Replies as WeChat messages. Their numbered options are what a number typed next
        means; a reply without options leaves none, a push without options changes nothing
        (a reminder arriving mid-dialogue does not take the dialogue's options away)."""
        lang = self.language
        if self._needs_words(replies):
            lang = (await self.dispatcher.profile(self.name, user)).lang
        pieces, payloads = render(
            replies,
            lambda n, label: self.catalog.text(lang, "wechat.option", number=n, label=label),
            cards=self.cards,
        )
        if payloads or not push:
            self.options.remember(user, payloads)
        return self.adapt(pieces, lang)

    def _needs_words(self, replies: list[Reply]) -> bool:
        return any(
            isinstance(r, Text) and any(b.payload and not b.url for row in r.buttons for b in row)
            for r in replies
        ) or (not self.sends_files and any(isinstance(r, File) for r in replies))

    def adapt(self, pieces: list[Piece], lang: str) -> list[Piece]:
        """A channel's last word on what it can send (the Official Account sends no files)."""
        return pieces

    async def push(self, user: str, piece: Piece) -> None:
        raise NotImplementedError


def replay_key(fields: Mapping[str, str]) -> str:
    msg_id = fields.get("MsgId") or fields.get("MsgID")
    if msg_id:
        return f"m:{msg_id}"
    parts = (fields.get(k, "") for k in ("FromUserName", "CreateTime", "Event", "EventKey"))
    return "e:" + "\x1f".join(parts)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, WxError):
        return f"errcode {exc.errcode}"
    return type(exc).__name__
