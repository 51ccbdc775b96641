"""The API methods the fake WeChat serves, as WeChat answers them (errcode 0 on success)."""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.fakes.wechat_records import JSON, MP, WECOM, Received, Upload, WxCall

if TYPE_CHECKING:
    from tests.fakes.wechat_api import FakeWeChat

TEXT_BYTES = 2048
MENU_TOP, MENU_SUB, MENU_NAME = 3, 5, 16


class ApiMethods:
    async def read_body(self: FakeWeChat, request: web.Request) -> JSON:
        if request.method == "GET":
            return {}
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            media = form.get("media")
            if not isinstance(media, web.FileField):
                return {}
            return {"media": Upload(media.file.read(), media.filename, media.content_type)}
        try:
            data = json.loads(await request.read() or b"{}")
        except ValueError:
            return {"invalid": True}
        return data if isinstance(data, dict) else {"invalid": True}

    # Tokens

    def _new_token(self: FakeWeChat, api: str) -> JSON:
        self.token_calls[api] += 1
        old = self.tokens.get(api)
        if old is not None:
            self.expired.add(old)  # as on the Official Account: a new token ends the old
        self.tokens[api] = f"{api}-token-{secrets.token_hex(6)}"
        return {"access_token": self.tokens[api], "expires_in": self.token_life}

    async def wecom_gettoken(self: FakeWeChat, call: WxCall) -> JSON:
        if call.query.get("corpid") != self.corp_id:
            return {"errcode": 40013, "errmsg": "invalid corpid"}
        if call.query.get("corpsecret") != self.corp_secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        return self._new_token(WECOM)

    async def mp_token(self: FakeWeChat, call: WxCall) -> JSON:
        if call.query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if call.query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if call.query.get("secret") != self.app_secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        return self._new_token(MP)

    # WeCom

    async def wecom_message_send(self: FakeWeChat, call: WxCall) -> JSON:
        body = call.body
        if body.get("agentid") != self.agent_id:
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        user = str(body.get("touser", ""))
        problem = self._check_message(body)
        if problem:
            return problem
        if user in self.gone:
            return {"invaliduser": user}  # WeCom: errcode 0, the person named as invalid
        await self.deliver_to(WECOM, user, self._received("app", body))
        return {"invaliduser": "", "msgid": f"msg{len(self.calls)}"}

    async def wecom_media_upload(self: FakeWeChat, call: WxCall) -> JSON:
        return self._upload(call)

    async def wecom_menu_create(self: FakeWeChat, call: WxCall) -> JSON:
        if call.query.get("agentid") != str(self.agent_id):
            return {"errcode": 40056, "errmsg": "invalid agentid"}
        return self._menu(WECOM, call.body)

    # The Official Account

    async def mp_message_custom_send(self: FakeWeChat, call: WxCall) -> JSON:
        body = call.body
        user = str(body.get("touser", ""))
        opened = self.windows.get(user)
        if opened is None or time.monotonic() - opened > 48 * 3600:
            return {"errcode": 45015, "errmsg": "response out of time limit"}
        if self.service_sent.get(user, 0) >= 5:
            return {"errcode": 45047, "errmsg": "out of response count limit"}
        problem = self._check_message(body)
        if problem:
            return problem
        self.service_sent[user] = self.service_sent.get(user, 0) + 1
        await self.deliver_to(MP, user, self._received("custom", body))
        return {}

    async def mp_message_template_send(self: FakeWeChat, call: WxCall) -> JSON:
        body = call.body
        if not body.get("template_id") or not isinstance(body.get("data"), dict):
            return {"errcode": 40037, "errmsg": "invalid template_id"}
        await self.deliver_to(MP, str(body.get("touser")), Received("template", "template", body))
        return {"msgid": len(self.calls)}

    async def mp_media_upload(self: FakeWeChat, call: WxCall) -> JSON:
        return self._upload(call)

    async def mp_menu_create(self: FakeWeChat, call: WxCall) -> JSON:
        return self._menu(MP, call.body)

    # Shared

    def _check_message(self: FakeWeChat, body: JSON) -> JSON | None:
        kind = body.get("msgtype")
        content = body.get(str(kind))
        if kind == "text" and isinstance(content, dict):
            text = str(content.get("content", ""))
            if not text:
                return {"errcode": 44004, "errmsg": "empty content"}
            if len(text.encode()) > TEXT_BYTES:
                return {"errcode": 45002, "errmsg": "content size out of limit"}
            return None
        if kind in ("image", "file") and isinstance(content, dict):
            media = content.get("media_id")
            return None if media in self.media else {"errcode": 40007, "errmsg": "invalid media"}
        if kind == "textcard" and isinstance(content, dict) and content.get("url"):
            return None
        return {"errcode": 40008, "errmsg": "invalid message type"}

    def _received(self: FakeWeChat, via: str, body: JSON) -> Received:
        kind = str(body.get("msgtype"))
        media_id = (body.get(kind) or {}).get("media_id") if kind in ("image", "file") else None
        return Received(via, kind, body, self.media.get(media_id) if media_id else None)

    def _upload(self: FakeWeChat, call: WxCall) -> JSON:
        upload = call.body.get("media")
        kind = call.query.get("type")
        if not isinstance(upload, Upload) or kind not in ("image", "file", "voice", "video"):
            return {"errcode": 40004, "errmsg": "invalid media type"}
        media_id = self.new_media_id()
        self.media[media_id] = upload
        return {"type": kind, "media_id": media_id, "created_at": str(int(time.time()))}

    def _menu(self: FakeWeChat, api: str, body: JSON) -> JSON:
        buttons: list[Any] = body.get("button") or []
        if not 1 <= len(buttons) <= MENU_TOP:
            return {"errcode": 40017, "errmsg": "invalid button size"}
        for button in buttons:
            subs = button.get("sub_button") or []
            if len(button.get("name", "").encode()) > MENU_NAME or len(subs) > MENU_SUB:
                return {"errcode": 40018, "errmsg": "invalid button name size"}
            for item in subs or [button]:
                if item.get("type") != "click" or not item.get("key"):
                    return {"errcode": 40019, "errmsg": "invalid button key"}
        self.menus[api] = body
        return {}
