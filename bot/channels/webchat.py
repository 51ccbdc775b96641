"""The web chat: a phone-style chat page served by the bot itself, for members without
Telegram or WeChat and for trying every role with no token at all.

A random token in a cookie is the chat account; only its SHA-256 is stored, so reading
the database does not let anyone take over a browser's identity. Replies come back in the
HTTP response; pushes wait in a mailbox the page polls.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from sqlmodel import col, select

from config.i18n import Catalog
from handlers.dispatcher import Dispatcher
from handlers.messages import File, Forget, Image, Incoming, Reply, Text
from storage.db import Database
from storage.models import ChannelIdentity, WebChatMail

COOKIE = "massline_chat"
CHANNEL = "webchat"
WEB = Path(__file__).resolve().parent.parent / "web"
PAGE_STRINGS = (
    "title",
    "placeholder",
    "send",
    "menu",
    "demo_title",
    "demo_hint",
    "offline",
    "reset",
    "reset_confirm",
    "you",
)
MAIL_BATCH = 50

DemoCodes = Callable[[], Awaitable[dict[str, str]]]


def user_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def reply_json(reply: Reply) -> dict[str, Any]:
    if isinstance(reply, Forget):
        return {"type": "forget", "refs": list(reply.refs)}
    if isinstance(reply, Text):
        buttons = [
            [{"label": b.label, "payload": b.payload, "url": b.url} for b in row]
            for row in reply.buttons
        ]
        return {"type": "text", "text": reply.text, "buttons": buttons}
    encoded = base64.b64encode(reply.data).decode()
    if isinstance(reply, Image):
        return {
            "type": "image",
            "src": f"data:image/png;base64,{encoded}",
            "caption": reply.caption,
        }
    assert isinstance(reply, File)
    return {
        "type": "file",
        "name": reply.name,
        "caption": reply.caption,
        "href": f"data:application/octet-stream;base64,{encoded}",
    }


class WebChat:
    name = CHANNEL

    def __init__(
        self, db: Database, dispatcher: Dispatcher, catalog: Catalog, demo_codes: DemoCodes
    ) -> None:
        self.db = db
        self.dispatcher = dispatcher
        self.catalog = catalog
        self.demo_codes = demo_codes

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)
        app.router.add_get("/api/chat/hello", self.hello)
        app.router.add_post("/api/chat/send", self.send)
        app.router.add_get("/api/chat/updates", self.updates)
        app.router.add_post("/api/chat/reset", self.reset)
        app.router.add_static("/static/", WEB, name="static")

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(
        self, external_id: str, replies: list[Reply], *, kind: str | None = None
    ) -> None:
        async def store(session: Any) -> None:
            query = select(ChannelIdentity.id).where(
                ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == external_id
            )
            identity_id = (await session.exec(query)).first()
            if identity_id is not None:
                payload = [reply_json(r) for r in replies]
                session.add(WebChatMail(identity_id=identity_id, payload=payload))

        await self.db.run(store)

    # HTTP

    async def page(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WEB / "chat.html", headers={"Cache-Control": "no-cache"})

    async def hello(self, request: web.Request) -> web.Response:
        token, fresh = _token(request)
        key = user_key(token)
        hello = Incoming(CHANNEL, key, text="/start", language_hint=_hint(request))
        greeting = await self.dispatcher.handle(hello)
        body = await self._envelope(request, key, greeting)
        body["demo"] = await self._demo(body["lang"])
        return _with_cookie(web.json_response(body), token, fresh, request)

    async def send(self, request: web.Request) -> web.Response:
        if not _same_origin(request):
            raise web.HTTPForbidden(text="cross-site request refused")
        token, fresh = _token(request)
        key = user_key(token)
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict):
            data = {}
        text, payload, ref = data.get("text"), data.get("payload"), data.get("ref")
        msg = Incoming(
            CHANNEL,
            key,
            text=text if isinstance(text, str) else None,
            payload=payload if isinstance(payload, str) and payload else None,
            language_hint=_hint(request),
            ref=ref if isinstance(ref, str) and len(ref) <= 40 else None,
        )
        replies = await self.dispatcher.handle(msg)
        body = await self._envelope(request, key, replies)
        return _with_cookie(web.json_response(body), token, fresh, request)

    async def updates(self, request: web.Request) -> web.Response:
        token = request.cookies.get(COOKIE)
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise web.HTTPBadRequest(text="after must be a number") from None
        mail: list[dict[str, Any]] = []
        if token:
            mail = await self._mail(user_key(token), after)
        return web.json_response({"mail": mail})

    async def reset(self, request: web.Request) -> web.Response:
        """Forget this browser's chat account (the member stays; another code re-binds)."""
        if not _same_origin(request):
            raise web.HTTPForbidden(text="cross-site request refused")
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    # Helpers

    async def _envelope(
        self, request: web.Request, key: str, replies: list[Reply]
    ) -> dict[str, Any]:
        profile = await self.dispatcher.profile(CHANNEL, key, _hint(request))
        strings = {
            name: self.catalog.text(profile.lang, f"webchat.{name}") for name in PAGE_STRINGS
        }
        return {
            "lang": profile.lang,
            "strings": strings,
            "member": profile.member,
            "replies": [reply_json(r) for r in replies],
        }

    async def _demo(self, lang: str) -> list[dict[str, str]]:
        codes = await self.demo_codes()
        return [
            {"role": role, "label": self.catalog.text(lang, f"role.{role}"), "code": code}
            for role, code in codes.items()
        ]

    async def _mail(self, key: str, after: int) -> list[dict[str, Any]]:
        async def fetch(session: Any) -> list[dict[str, Any]]:
            query = (
                select(WebChatMail)
                .join(ChannelIdentity, col(ChannelIdentity.id) == WebChatMail.identity_id)
                .where(ChannelIdentity.channel == CHANNEL, ChannelIdentity.external_id == key)
                .where(col(WebChatMail.id) > after)
                .order_by(col(WebChatMail.id))
                .limit(MAIL_BATCH)
            )
            rows = (await session.exec(query)).all()
            return [{"id": row.id, "replies": row.payload} for row in rows]

        return await self.db.run(fetch)


def _hint(request: web.Request) -> str | None:
    """The browser's first preferred language, e.g. ``en-US`` from ``en-US,en;q=0.9``."""
    header = request.headers.get("Accept-Language", "")
    return header.split(",", 1)[0].split(";", 1)[0].strip() or None


def _token(request: web.Request) -> tuple[str, bool]:
    token = request.cookies.get(COOKIE)
    if token and 20 <= len(token) <= 100:
        return token, False
    return secrets.token_urlsafe(32), True


def _with_cookie(
    response: web.Response, token: str, fresh: bool, request: web.Request
) -> web.Response:
    if fresh:
        response.set_cookie(
            COOKIE,
            token,
            max_age=365 * 86400,
            httponly=True,
            samesite="Lax",
            secure=request.secure,
            path="/",
        )
    return response


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host
