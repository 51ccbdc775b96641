"""Telegram's webhook, on our own aiohttp server, and the call that rides in its answer.

The secret is checked before the body is read. Then the update is handled while Telegram
waits for our HTTP answer, and the Bot API lets that answer carry one method call
("Making requests when getting updates"), saving a request of its own. Telegram does not
tell us how such a call went, so what rides is chosen for what losing it would cost:

- for a button tap, its answerCallbackQuery (lost, the button's spinner stops anyway);
- for a typed message, the last text message of the reply, unless Telegram has asked us
  to wait within the last minute (the limiter knows: RIDE_AFTER_FLOOD).

Everything else is sent as usual, in order, before the answer goes back.
"""

from __future__ import annotations

import hmac
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application

WEBHOOK_PATH = "/telegram/webhook"
RIDE_AFTER_FLOOD = 60.0  # seconds after Telegram last said to wait before a message rides
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name)


@dataclass
class Ride:
    """Room for one method call in the webhook's answer to the update being handled."""

    call: dict[str, Any] | None = None

    def take_answer(self, query_id: str) -> None:
        """Carry a button tap's answer (the room is the tap's: it comes first)."""
        self.call = {"method": "answerCallbackQuery", "callback_query_id": query_id}

    def take(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> bool:
        """Carry this message in the answer, if the room is still free."""
        if self.call is not None:
            return False
        self.call = {"method": "sendMessage", "chat_id": chat_id, "text": text}
        if markup is not None:
            self.call["reply_markup"] = markup.to_dict()
        return True


_RIDE: ContextVar[Ride | None] = ContextVar("telegram_webhook_ride", default=None)


def ride() -> Ride | None:
    """The webhook answer's room, while handling an update that came by webhook."""
    return _RIDE.get()


async def handle(request: web.Request, app: Application[Any, Any, Any, Any, Any, Any],
                 secret: str | None) -> web.Response:  # fmt: skip
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(given, secret):
        raise web.HTTPForbidden()
    try:
        data = await request.json()
        if not isinstance(data, dict):  # de_json fails on these with AttributeError
            raise ValueError("an update is a JSON object")
        update = Update.de_json(data, app.bot)
    except (ValueError, TypeError, KeyError):
        raise web.HTTPBadRequest() from None
    room = Ride()
    token = _RIDE.set(room)
    try:
        await app.process_update(update)  # the handler runs in this task: it sees the room
    finally:
        _RIDE.reset(token)
    if room.call is not None:
        return web.json_response(room.call)
    return web.Response()
