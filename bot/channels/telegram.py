"""Telegram, through python-telegram-bot: polling by default, our own webhook when set.

Updates become the core's Incoming; the core's replies become Bot API calls. PTB's own
ConversationHandler and persistence are not used: dialogue state lives in our storage.
Several updates are handled at once, each chat's in order (issue 9); how replies meet
Telegram's limits is in telegram_flood, what rides in a webhook's answer in
telegram_webhook.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    Message,
    Update,
)
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ContextTypes, TypeHandler

from config.i18n import Catalog
from config.settings import Settings
from handlers.dispatcher import Dispatcher
from handlers.messages import (
    File,
    Forget,
    Image,
    Reply,
    Text,
    split_text,
)
from handlers.router import Router

from . import telegram_webhook
from .base import Blocked, ChannelConfigError, RetryLater, Undeliverable
from .telegram_convert import CHANNEL, keyboard, to_incoming
from .telegram_flood import PUSH, REPLIES_PER_SECOND, RepliesRateLimiter
from .telegram_request import AiohttpRequest
from .telegram_webhook import WEBHOOK_PATH

log = logging.getLogger(__name__)
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# Updates handled at once while others wait on the network: each chat still one at a
# time and in order (the dispatcher's per-chat turn, taken first thing in _on_update).
CONCURRENT_UPDATES = 32


class TelegramChannel:
    name = CHANNEL

    def __init__(self, settings: Settings, dispatcher: Dispatcher, catalog: Catalog) -> None:
        assert settings.telegram_token is not None
        self.settings = settings
        self.dispatcher = dispatcher
        self.catalog = catalog
        self.webhook = settings.telegram_webhook_url
        api = settings.telegram_api_url.rstrip("/")
        self.limiter = RepliesRateLimiter(REPLIES_PER_SECOND)
        builder = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .rate_limiter(self.limiter)
            # aiohttp instead of httpx: about four times less CPU per request (BENCHMARKS.md)
            .request(AiohttpRequest())
            .get_updates_request(AiohttpRequest(connection_pool_size=1))
            .concurrent_updates(CONCURRENT_UPDATES)
        )
        if self.webhook:
            builder = builder.updater(None)
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.app.add_handler(TypeHandler(Update, self._on_update))
        self.app.add_error_handler(self._on_error)
        self.username: str | None = None

    # Lifecycle

    async def start(self) -> None:
        try:
            await self.app.initialize()
        except InvalidToken:
            raise ChannelConfigError(
                "Telegram rejected MASSLINE_TELEGRAM_TOKEN; check it with @BotFather"
            ) from None
        self.username = self.app.bot.username
        await self._register_commands()
        if self.webhook:
            secret = self.settings.telegram_webhook_secret
            try:
                await self.app.bot.set_webhook(
                    self.webhook,
                    secret_token=secret.get_secret_value() if secret else None,
                    allowed_updates=ALLOWED_UPDATES,
                )
            except BadRequest as exc:
                raise ChannelConfigError(
                    f"Telegram refused MASSLINE_TELEGRAM_WEBHOOK_URL: {exc.message}"
                ) from None
        else:
            assert self.app.updater is not None
            await self.app.bot.delete_webhook()
            await self.app.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await self.app.start()

    async def stop(self) -> None:
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _register_commands(self) -> None:
        router: Router = self.dispatcher.router
        for lang, code in (("zh", None), ("en", "en")):
            commands = [
                BotCommand(c.name, self.catalog.text(lang, f"cmd.{c.name}"))
                for c in router.commands.values()
            ]
            await self.app.bot.set_my_commands(commands, language_code=code)

    # Webhook (telegram_webhook): the secret first, then the update; a reply may ride back.

    def add_routes(self, app: web.Application) -> None:
        if self.webhook:
            app.router.add_post(WEBHOOK_PATH, self.handle_webhook)

    async def handle_webhook(self, request: web.Request) -> web.Response:
        secret = self.settings.telegram_webhook_secret
        return await telegram_webhook.handle(
            request, self.app, secret.get_secret_value() if secret else None
        )

    # Updates in

    async def _on_update(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert isinstance(update, Update)
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        # First thing, before any wait: this chat's updates are handled, and answered,
        # one at a time in the order they came, however many run at once.
        async with self.dispatcher.turn(CHANNEL, str(user.id)):
            query, room = update.callback_query, telegram_webhook.ride()
            if query is not None and room is not None:
                room.take_answer(query.id)
            elif query is not None:
                try:
                    await query.answer()
                except TelegramError as exc:  # e.g. "query is too old" after downtime: still act
                    log.warning("telegram: answering a button tap failed: %s", type(exc).__name__)
            incoming = to_incoming(update)
            if incoming is None:
                return
            replies = await self.dispatcher.handle(incoming)
            await self._send(chat.id, replies)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The exception only: an update may carry anonymous text and ids together.
        log.error("telegram: %s while handling an update", type(context.error).__name__)

    # Replies out

    async def fetch_media(self, file_id: str) -> bytes | None:
        """A photo or file a member sent, fetched back from Telegram (bots may fetch up
        to 20 MB); None when Telegram no longer has it."""
        try:
            found = await self.app.bot.get_file(file_id)
            return bytes(await found.download_as_bytearray())
        except TelegramError as exc:
            log.info("telegram: a file could not be fetched (%s)", type(exc).__name__)
            return None

    async def deliver(
        self, external_id: str, replies: list[Reply], *, kind: str | None = None
    ) -> None:
        try:
            await self._send(int(external_id), replies, push=True)
        except Forbidden as exc:
            raise Blocked(exc.message) from None
        except RetryAfter as exc:
            delay = exc.retry_after
            seconds = delay if isinstance(delay, int | float) else delay.total_seconds()
            raise RetryLater(float(seconds), "flood control") from None
        except BadRequest as exc:
            raise Undeliverable(exc.message) from None
        except NetworkError as exc:
            raise RetryLater(1.0, type(exc).__name__) from None  # the deliverer backs off from here

    async def _send(
        self, chat_id: int, replies: list[Reply], *, push: bool = False
    ) -> list[Message]:
        bot = self.app.bot
        limit: dict[str, Any] = {"rate_limit_args": PUSH} if push else {}
        room = telegram_webhook.ride() if not push else None
        sent: list[Message] = []
        for position, reply in enumerate(replies, 1):
            if isinstance(reply, Text):
                chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
                for index, chunk in enumerate(chunks, 1):
                    markup = keyboard(reply) if index == len(chunks) else None
                    last = position == len(replies) and index == len(chunks)
                    if last and room and self._may_ride() and room.take(chat_id, chunk, markup):
                        break  # the webhook's answer carries it
                    sent.append(
                        await bot.send_message(chat_id, chunk, reply_markup=markup, **limit)
                    )
            elif isinstance(reply, Image):
                sent.append(
                    await bot.send_photo(chat_id, reply.data, caption=reply.caption, **limit)
                )
            elif isinstance(reply, File):
                sent.append(
                    await bot.send_document(
                        chat_id, reply.data, filename=reply.name, caption=reply.caption, **limit
                    )
                )
            elif isinstance(reply, Forget):
                await self._forget(chat_id, reply.refs)
        return sent

    def _may_ride(self) -> bool:
        """Whether a message may ride in the webhook's answer, where a refusal goes unseen:
        not while Telegram's flood control has spoken recently."""
        return not self.limiter.flooded(telegram_webhook.RIDE_AFTER_FLOOD)

    async def _forget(self, chat_id: int, refs: tuple[str, ...]) -> None:
        """Delete the member's messages that carried anonymous text (Telegram allows it
        for 48 hours). The ids were held in memory only and are dropped here."""
        for ref in refs:
            try:
                await self.app.bot.delete_message(chat_id, int(ref))
            except (TelegramError, ValueError) as exc:
                log.info("telegram: a message could not be deleted (%s)", type(exc).__name__)
