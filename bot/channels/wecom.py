"""WeCom (企业微信): a self-built app, its callbacks on /wecom/callback.

Callbacks are always encrypted (the CorpID is the receive id). Each one is answered at once
with an empty 200 and handled in the background; the replies go out through the
app-message API (message/send): text, text cards for a short text with one link, images
and files after a media/upload. Entering the app greets only people who have not joined
(members get no message for opening the app). On start the app's menu is set from the
bot's command set.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from config.i18n import Catalog
from handlers.dispatcher import Dispatcher
from handlers.messages import File, Image, Incoming

from .base import Blocked
from .wx_api import Upload, WxApi
from .wx_base import WxChannel
from .wx_convert import Card, Piece, to_incoming
from .wx_crypto import CryptoError, Envelope
from .wx_guard import WINDOW, Guard, read_capped
from .wx_xml import XmlRefused, find_encrypt, parse

CHANNEL = "wecom"
CALLBACK_PATH = "/wecom/callback"


@dataclass(frozen=True)
class WeComConfig:
    corp_id: str
    agent_id: int
    secret: str
    token: str
    aes_key: str
    api_url: str = "https://qyapi.weixin.qq.com"


class WeComChannel(WxChannel):
    name = CHANNEL
    path = CALLBACK_PATH
    ack = ""
    cards = True

    def __init__(
        self,
        config: WeComConfig,
        dispatcher: Dispatcher,
        catalog: Catalog,
        *,
        language: str = "zh",
        window: float = WINDOW,
    ) -> None:
        api = WxApi(
            config.api_url, "gettoken", {"corpid": config.corp_id, "corpsecret": config.secret}
        )
        guard = Guard(config.token, window=window)
        super().__init__(dispatcher, catalog, api=api, guard=guard, language=language)
        self.config = config
        self.envelope = Envelope(config.aes_key, config.corp_id)
        self.menu_query = {"agentid": str(config.agent_id)}

    def describe(self) -> str:
        return f"{self.name}: agent {self.config.agent_id} (callback {self.path})"

    # Callbacks

    async def verify(self, request: web.Request) -> web.Response:
        """Saving the callback URL: decrypt ``echostr`` and echo it (within a second)."""
        query = request.query
        echo = query.get("echostr", "")
        self.guard.check(
            query.get("msg_signature"), query.get("timestamp"), query.get("nonce"), echo
        )
        try:
            return web.Response(text=self.envelope.open(echo))
        except CryptoError:
            raise web.HTTPBadRequest(text="echostr does not open") from None

    async def authentic(self, request: web.Request) -> Mapping[str, str]:
        query = request.query
        if not query.get("msg_signature"):
            raise web.HTTPForbidden(text="missing signature")
        body = await read_capped(request)
        encrypt = find_encrypt(body)  # a pattern, not a parser: nothing is parsed unsigned
        if encrypt is None:
            raise web.HTTPForbidden(text="nothing signed")
        timestamp, nonce = self.guard.check(
            query.get("msg_signature"), query.get("timestamp"), query.get("nonce"), encrypt
        )
        self.guard.once(timestamp, nonce, body)
        try:
            return parse(self.envelope.open(encrypt))
        except (CryptoError, XmlRefused):
            raise web.HTTPBadRequest(text="not a WeCom message") from None

    async def answer(self, fields: Mapping[str, str]) -> str:
        user = fields.get("FromUserName", "")
        if fields.get("MsgType") == "event" and fields.get("Event") == "enter_agent":
            if user:
                self.spawn(self._greet_stranger(user))
            return self.ack
        incoming = to_incoming(self.name, fields, self.options)
        if incoming is not None:
            self.spawn(self.converse(incoming))
        return self.ack

    async def _greet_stranger(self, user: str) -> None:
        profile = await self.dispatcher.profile(self.name, user)
        if not profile.member:
            await self.converse(Incoming(self.name, user, text="/start"))

    # Sending

    async def push(self, user: str, piece: Piece) -> None:
        message: dict[str, Any]
        if isinstance(piece, str):
            message = {"msgtype": "text", "text": {"content": piece}}
        elif isinstance(piece, Card):
            card = {"title": piece.title, "description": piece.description, "url": piece.url}
            if piece.button:
                card["btntxt"] = piece.button
            message = {"msgtype": "textcard", "textcard": card}
        else:
            kind = "image" if isinstance(piece, Image) else "file"
            media = await self._upload(kind, piece)
            message = {"msgtype": kind, kind: {"media_id": media}}
        body = {"touser": user, "agentid": self.config.agent_id, **message}
        data = await self.api.call("message/send", body)
        refused = str(data.get("invaliduser") or "").lower().split("|")
        if user.lower() in refused:
            raise Blocked("not in the app's visible range")

    async def _upload(self, kind: str, piece: Image | File) -> str:
        mime = mimetypes.guess_type(piece.name)[0] or "application/octet-stream"
        data = await self.api.call(
            "media/upload", query={"type": kind}, upload=Upload(piece.data, piece.name, mime)
        )
        return str(data["media_id"])
