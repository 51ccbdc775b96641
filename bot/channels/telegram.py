"""Telegram, through python-telegram-bot: polling by default, our own webhook when set.

Updates become the core's Incoming; the core's replies become Bot API calls. PTB's own
ConversationHandler and persistence are not used: dialogue state lives in our storage.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
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
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from config.i18n import Catalog
from config.settings import Settings
from handlers.dispatcher import Dispatcher
from handlers.messages import Attachment, File, Image, Incoming, Reply, Text, split_text
from handlers.router import Router

from .base import Blocked, ChannelConfigError, RetryLater, Undeliverable

log = logging.getLogger(__name__)
CHANNEL = "telegram"
WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]


class TelegramChannel:
    name = CHANNEL

    def __init__(self, settings: Settings, dispatcher: Dispatcher, catalog: Catalog) -> None:
        assert settings.telegram_token is not None
        self.settings = settings
        self.dispatcher = dispatcher
        self.catalog = catalog
        self.webhook = settings.telegram_webhook_url
        api = settings.telegram_api_url.rstrip("/")
        builder = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .rate_limiter(AIORateLimiter(max_retries=1))
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

    # Webhook: the secret is checked before the body is read.

    def add_routes(self, app: web.Application) -> None:
        if self.webhook:
            app.router.add_post(WEBHOOK_PATH, self.handle_webhook)

    async def handle_webhook(self, request: web.Request) -> web.Response:
        secret = self.settings.telegram_webhook_secret
        given = request.headers.get(SECRET_HEADER, "")
        if secret is None or not hmac.compare_digest(given, secret.get_secret_value()):
            raise web.HTTPForbidden()
        try:
            data = await request.json()
            if not isinstance(data, dict):  # de_json fails on these with AttributeError
                raise ValueError("an update is a JSON object")
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            raise web.HTTPBadRequest() from None
        await self.app.process_update(update)
        return web.Response()

    # Updates in

    async def _on_update(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert isinstance(update, Update)
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None:
            return
        query = update.callback_query
        if query is not None:
            try:
                await query.answer()
            except TelegramError as exc:  # e.g. "query is too old" after downtime: still act
                log.warning("telegram: answering a button tap failed: %s", type(exc).__name__)
        incoming = _incoming(update)
        if incoming is None:
            return
        replies = await self.dispatcher.handle(incoming)
        await self._send(chat.id, replies)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # The exception only: an update may carry anonymous text and ids together.
        log.error("telegram: %s while handling an update", type(context.error).__name__)

    # Replies out

    async def deliver(self, external_id: str, replies: list[Reply]) -> None:
        try:
            await self._send(int(external_id), replies)
        except Forbidden as exc:
            raise Blocked(exc.message) from None
        except RetryAfter as exc:
            delay = exc.retry_after
            seconds = delay if isinstance(delay, int | float) else delay.total_seconds()
            raise RetryLater(float(seconds), "flood control") from None
        except BadRequest as exc:
            raise Undeliverable(exc.message) from None
        except NetworkError as exc:
            raise RetryLater(5.0, type(exc).__name__) from None

    async def _send(self, chat_id: int, replies: list[Reply]) -> list[Message]:
        bot = self.app.bot
        sent: list[Message] = []
        for reply in replies:
            if isinstance(reply, Text):
                chunks = split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH)
                for index, chunk in enumerate(chunks):
                    markup = _keyboard(reply) if index == len(chunks) - 1 else None
                    sent.append(await bot.send_message(chat_id, chunk, reply_markup=markup))
            elif isinstance(reply, Image):
                sent.append(await bot.send_photo(chat_id, reply.data, caption=reply.caption))
            elif isinstance(reply, File):
                sent.append(
                    await bot.send_document(
                        chat_id, reply.data, filename=reply.name, caption=reply.caption
                    )
                )
        return sent


def _keyboard(reply: Text) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.payload)
                for b in row
            ]
            for row in reply.buttons
        ]
    )


def _incoming(update: Update) -> Incoming | None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "user_key": str(user.id),
        "display_name": user.full_name,
        "language_hint": user.language_code,
        "private": chat.type == chat.PRIVATE,
    }
    if update.callback_query is not None:
        return Incoming(payload=update.callback_query.data or "", **common)
    if update.edited_message is not None:
        return Incoming(payload="core:edited", **common)
    message = update.message
    if message is None:
        return None
    return Incoming(
        text=message.text or message.caption, attachments=_attachments(message), **common
    )


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.photo:
        largest = message.photo[-1]
        found.append(Attachment("photo", largest.file_id, size=largest.file_size))
    if message.document:
        doc = message.document
        found.append(Attachment("file", doc.file_id, doc.file_name, doc.mime_type, doc.file_size))
    if message.voice:
        found.append(Attachment("voice", message.voice.file_id, size=message.voice.file_size))
    if message.video:
        found.append(Attachment("video", message.video.file_id, size=message.video.file_size))
    if message.sticker:
        found.append(Attachment("sticker", message.sticker.file_id))
    if message.location:
        found.append(Attachment("location"))
    if not found and message.text is None and message.caption is None:
        found.append(Attachment("other"))
    return tuple(found)
