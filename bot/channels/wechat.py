"""The WeChat Official Account (公众号), its callbacks on /wechat/callback.

Plain mode, or safe mode when MASSLINE_WECHAT_AES_KEY is set (then plain bodies are
refused). The query's ``signature`` is checked before the body is read; in safe mode the
``msg_signature`` too, before anything is decrypted or parsed.

Answers: the first message of the replies goes back passively in the HTTP answer when the
core is done within ``passive_budget`` (WeChat waits 5 seconds); the rest, or everything
when it takes longer (then "success" at once), goes through the customer-service API.
Pushes outside the 48-hour customer-service window (45015), or beyond its quota (45047),
fall back to a template message when one is configured for that kind of message (or "*");
otherwise a closed window marks the account unreachable (Blocked), which the admin sees.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from config.i18n import Catalog
from handlers.dispatcher import Dispatcher
from handlers.messages import File, Image, Incoming, Reply, Text

from .base import Blocked, RetryLater
from .wx_api import SERVICE_QUOTA, WINDOW_CLOSED, Upload, WxApi, WxError, delivery_error
from .wx_base import WxChannel
from .wx_convert import Piece, to_incoming
from .wx_crypto import CryptoError, Envelope, signature
from .wx_guard import WINDOW, Guard, read_capped
from .wx_xml import XmlRefused, find_encrypt, parse, sealed_reply, text_reply

log = logging.getLogger(__name__)
CHANNEL = "wechat"
CALLBACK_PATH = "/wechat/callback"
PASSIVE_BUDGET = 4.0  # seconds the core may take for a passive reply (WeChat waits 5)
FOLLOW_UP_DELAY = 0.5  # the passive reply reaches the person before the rest
TEMPLATE_FIELD, TEMPLATE_VALUE = "thing1", 20  # a template's text field, its length limit
QUOTA_WAIT = 600.0


@dataclass(frozen=True)
class WeChatConfig:
    app_id: str
    app_secret: str
    token: str
    aes_key: str | None = None
    api_url: str = "https://api.weixin.qq.com"
    # outbox kind (or "*") → "TEMPLATE_ID" or "TEMPLATE_ID:field" for pushes out of the window
    templates: Mapping[str, str] = field(default_factory=dict)


class WeChatChannel(WxChannel):
    name = CHANNEL
    path = CALLBACK_PATH
    ack = "success"
    sends_files = False

    def __init__(
        self,
        config: WeChatConfig,
        dispatcher: Dispatcher,
        catalog: Catalog,
        *,
        language: str = "zh",
        window: float = WINDOW,
    ) -> None:
        query = {
            "grant_type": "client_credential",
            "appid": config.app_id,
            "secret": config.app_secret,
        }
        api = WxApi(config.api_url, "token", query)
        super().__init__(
            dispatcher,
            catalog,
            api=api,
            guard=Guard(config.token, window=window),
            language=language,
        )
        self.config = config
        self.envelope = Envelope(config.aes_key, config.app_id) if config.aes_key else None
        self.passive_budget = PASSIVE_BUDGET
        self.follow_up_delay = FOLLOW_UP_DELAY

    def describe(self) -> str:
        mode = "safe mode" if self.envelope else "plain mode"
        return f"{self.name}: official account {self.config.app_id} ({mode}, callback {self.path})"

    # Callbacks

    async def verify(self, request: web.Request) -> web.Response:
        query = request.query
        self.guard.check(query.get("signature"), query.get("timestamp"), query.get("nonce"))
        return web.Response(text=query.get("echostr", ""))

    async def authentic(self, request: web.Request) -> Mapping[str, str]:
        query = request.query
        timestamp, nonce = self.guard.check(
            query.get("signature"), query.get("timestamp"), query.get("nonce")
        )
        body = await read_capped(request)
        self.guard.once(timestamp, nonce, body)
        sealed = query.get("encrypt_type", "raw").lower() == "aes"
        if self.envelope is None:
            if sealed:
                raise web.HTTPBadRequest(text="encrypted, but no EncodingAESKey is set here")
            return self._parse(body)
        if not sealed:
            raise web.HTTPForbidden(text="safe mode: plain messages are refused")
        encrypt = find_encrypt(body)
        if encrypt is None:
            raise web.HTTPForbidden(text="nothing signed")
        self.guard.check(query.get("msg_signature"), timestamp, nonce, encrypt)
        try:
            return self._parse(self.envelope.open(encrypt))
        except CryptoError:
            raise web.HTTPBadRequest(text="does not open") from None

    def _parse(self, data: bytes | str) -> Mapping[str, str]:
        try:
            return parse(data)
        except XmlRefused:
            raise web.HTTPBadRequest(text="not a WeChat message") from None

    async def answer(self, fields: Mapping[str, str]) -> str:
        incoming = to_incoming(self.name, fields, self.options)
        if incoming is None:
            return self.ack
        user = incoming.user_key
        work = self.spawn(self._handle(incoming))
        done, _ = await asyncio.wait({work}, timeout=self.passive_budget)
        if not done:  # too slow for a passive reply: all of it through the API, later
            work.add_done_callback(lambda task: self.spawn(self._late(user, task)))
            return self.ack
        pieces = work.result()
        if not pieces or not isinstance(pieces[0], str):
            self.spawn(self.quietly(self.push_all(user, pieces)))
            return self.ack
        if len(pieces) > 1:
            self.spawn(self._follow_up(user, pieces[1:]))
        return text_reply(user, fields.get("ToUserName", ""), pieces[0], int(time.time()))

    async def _handle(self, incoming: Incoming) -> list[Piece]:
        async with self._order.hold(incoming.user_key):
            replies = await self.dispatcher.handle(incoming)
            return await self.pieces(incoming.user_key, replies)

    async def _late(self, user: str, task: asyncio.Task[list[Piece]]) -> None:
        if not task.cancelled() and task.exception() is None:
            await self.quietly(self.push_all(user, task.result()))

    async def _follow_up(self, user: str, pieces: list[Piece]) -> None:
        await asyncio.sleep(self.follow_up_delay)
        await self.quietly(self.push_all(user, pieces))

    def respond(self, body: str) -> web.Response:
        xml = body.startswith("<")
        if self.envelope is None or not xml:
            return web.Response(text=body, content_type="text/xml" if xml else "text/plain")
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
        encrypt = self.envelope.seal(body)
        sign = signature(self.guard.token, timestamp, nonce, encrypt)
        return web.Response(
            text=sealed_reply(encrypt, sign, timestamp, nonce), content_type="text/xml"
        )

    # Sending: the customer-service API, templates when the window is closed

    async def deliver(
        self, external_id: str, replies: list[Reply], *, kind: str | None = None
    ) -> None:
        try:
            await self.send(external_id, replies, push=True)
        except WxError as exc:
            if exc.errcode not in (WINDOW_CLOSED, SERVICE_QUOTA):
                raise delivery_error(exc) from None
            template = self.config.templates.get(kind or "*") or self.config.templates.get("*")
            if template is not None:
                try:
                    await self._template(external_id, template, replies)
                except WxError as again:
                    raise delivery_error(again) from None
            elif exc.errcode == WINDOW_CLOSED:
                raise Blocked("outside the 48-hour customer-service window") from None
            else:
                raise RetryLater(QUOTA_WAIT, "customer-service quota used up") from None

    async def _template(self, user: str, template: str, replies: list[Reply]) -> None:
        template_id, _, name = template.partition(":")
        texts = [r.text for r in replies if isinstance(r, Text)]
        first = next((line.strip() for t in texts for line in t.splitlines() if line.strip()), "")
        value = first if len(first) <= TEMPLATE_VALUE else first[: TEMPLATE_VALUE - 1] + "…"
        body = {
            "touser": user,
            "template_id": template_id,
            "data": {name or TEMPLATE_FIELD: {"value": value}},
        }
        await self.api.call("message/template/send", body)

    def adapt(self, pieces: list[Piece], lang: str) -> list[Piece]:
        return [
            self.catalog.text(lang, "wechat.file_unsupported", name=p.name)
            if isinstance(p, File)
            else p
            for p in pieces
        ]

    async def push(self, user: str, piece: Piece) -> None:
        message: dict[str, Any]
        if isinstance(piece, str):
            message = {"msgtype": "text", "text": {"content": piece}}
        elif isinstance(piece, Image):
            mime = mimetypes.guess_type(piece.name)[0] or "image/png"
            upload = Upload(piece.data, piece.name, mime)
            data = await self.api.call("media/upload", query={"type": "image"}, upload=upload)
            message = {"msgtype": "image", "image": {"media_id": str(data["media_id"])}}
        else:  # files were turned into words by adapt(); cards are WeCom's
            raise WxError(40008, "the Official Account cannot send this")
        await self.api.call("message/custom/send", {"touser": user, **message})
