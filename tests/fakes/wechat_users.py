"""A person on WeCom or the Official Account, as a test drives them: each message is built,
signed (and encrypted where the app is) the way WeChat does it, and POSTed to our
service's callback; what the bot sends back, passively or through the API, lands in the
person's inbox at the fake.

    person = service.wecom_person("zhangsan")
    await person.say("帮助")
    assert "能做什么" in (await person.expect()).text
    await person.choose("实名提意见")      # replies with the option's number
"""

# ruff: noqa: ASYNC109  (waiting with a deadline is what these helpers are for)

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import ClientSession
from defusedxml import ElementTree

from bot.channels.wx_crypto import Envelope  # checked against WeChat's published vectors
from tests.fakes.wechat_records import MP, WECOM, Received

if TYPE_CHECKING:
    from tests.fakes.wechat_api import FakeWeChat

_MSG_IDS = itertools.count(7_300_000_000_000_000_000)


def sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324  (WeChat's)


def to_xml(fields: dict[str, str]) -> str:
    inner = "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items())
    return f"<xml>{inner}</xml>"


@dataclass
class Answer:
    status: int
    text: str


class WxPerson:
    def __init__(
        self,
        fake: FakeWeChat,
        api: str,
        user: str,
        *,
        service_url: str,
        token: str,
        aes_key: str | None,
        session: ClientSession,
    ) -> None:
        self.fake, self.api, self.user = fake, api, user
        self.token, self.session = token, session
        wecom = api == WECOM
        self.url = service_url + ("/wecom/callback" if wecom else "/wechat/callback")
        self.to_user = fake.corp_id if wecom else fake.account
        receive_id = fake.corp_id if wecom else fake.app_id
        self.envelope = Envelope(aes_key, receive_id) if aes_key else None

    # Building requests (the security tests take them apart)

    def fields(self, kind: str, **more: str) -> dict[str, str]:
        fields = {
            "ToUserName": self.to_user,
            "FromUserName": self.user,
            "CreateTime": str(int(time.time())),
            "MsgType": kind,
            **more,
        }
        if self.api == WECOM:
            fields["AgentID"] = str(self.fake.agent_id)
        return fields

    def text(self, text: str) -> dict[str, str]:
        return self.fields("text", Content=text, MsgId=str(next(_MSG_IDS)))

    def request(
        self,
        fields: dict[str, str] | str,
        *,
        timestamp: str | None = None,
        nonce: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """The query and body WeChat would send for ``fields`` (or raw inner XML)."""
        xml = fields if isinstance(fields, str) else to_xml(fields)
        ts = timestamp or str(int(time.time()))
        nonce = nonce or str(secrets.randbelow(10**10))
        if self.envelope is None:  # the Official Account, plain mode
            query = {
                "signature": sha1(self.token, ts, nonce),
                "timestamp": ts,
                "nonce": nonce,
                "openid": self.user,
            }
            return query, xml.encode()
        sealed = self.envelope.seal(xml)
        outer = {"ToUserName": self.to_user, "Encrypt": sealed}
        query = {
            "msg_signature": sha1(self.token, ts, nonce, sealed),
            "timestamp": ts,
            "nonce": nonce,
        }
        if self.api == WECOM:
            outer["AgentID"] = str(self.fake.agent_id)
        else:
            query |= {
                "signature": sha1(self.token, ts, nonce),
                "openid": self.user,
                "encrypt_type": "aes",
            }
        return query, to_xml(outer).encode()

    async def post(self, query: dict[str, str], body: bytes, **kw: object) -> Answer:
        async with self.session.post(self.url, params=query, data=body, **kw) as response:  # type: ignore[arg-type]
            answer = Answer(response.status, await response.text())
        if self.api == MP and answer.status == 200 and answer.text.startswith("<xml"):
            await self.fake.deliver_to(MP, self.user, self._passive(answer.text))
        return answer

    def _passive(self, text: str) -> Received:
        root = ElementTree.fromstring(text, forbid_dtd=True)
        if self.envelope is not None:
            sealed = root.findtext("Encrypt") or ""
            signed = sha1(
                self.token, root.findtext("TimeStamp") or "", root.findtext("Nonce") or "", sealed
            )
            assert root.findtext("MsgSignature") == signed, "a passive reply badly signed"
            root = ElementTree.fromstring(self.envelope.open(sealed), forbid_dtd=True)
        assert root.findtext("ToUserName") == self.user
        assert root.findtext("FromUserName") == self.to_user
        content = root.findtext("Content") or ""
        return Received("passive", root.findtext("MsgType") or "", {"text": {"content": content}})

    # Doing things

    async def send(self, fields: dict[str, str]) -> Answer:
        if self.api == MP:
            self.fake.wrote(self.user)
        return await self.post(*self.request(fields))

    async def say(self, text: str) -> Answer:
        return await self.send(self.text(text))

    async def click(self, key: str) -> Answer:
        return await self.send(self.fields("event", Event="click", EventKey=key))

    async def event(self, event: str, key: str = "") -> Answer:
        return await self.send(self.fields("event", Event=event, EventKey=key))

    async def send_image(self, media_id: str = "MEDIA_1") -> Answer:
        picture = "https://wework.qpic.cn/fake.jpg"
        return await self.send(
            self.fields("image", PicUrl=picture, MediaId=media_id, MsgId=str(next(_MSG_IDS)))
        )

    async def choose(self, label: str) -> Answer:
        """Reply with the number of the option ``label`` in the latest message having it."""
        for received in reversed(self.inbox):
            if label in received.options:
                return await self.say(str(received.options[label]))
        shown = [o for r in self.inbox for o in r.options]
        raise AssertionError(f"no option {label!r} shown to {self.user}; there are {shown}")

    # Seeing what the bot did

    @property
    def inbox(self) -> list[Received]:
        return self.fake.inbox(self.api, self.user)

    async def expect(self, timeout: float = 5.0) -> Received:
        key = (self.api, self.user)

        def unread() -> Received | None:
            read = self.fake.read.get(key, 0)
            return self.inbox[read] if len(self.inbox) > read else None

        received = await self.fake.wait_for(unread, timeout=timeout, what=f"a message to {key}")
        self.fake.read[key] = self.fake.read.get(key, 0) + 1
        return received

    async def expect_text(
        self, contains: str | Sequence[str] = (), *, timeout: float = 5.0
    ) -> Received:
        received = await self.expect(timeout)
        wanted = [contains] if isinstance(contains, str) else list(contains)
        missing = [part for part in wanted if part not in received.text]
        assert not missing, f"expected {missing} in the bot's message:\n{received.text}"
        return received

    async def expect_nothing(self, within: float = 0.3) -> None:
        await asyncio.sleep(within)
        unread = self.inbox[self.fake.read.get((self.api, self.user), 0) :]
        assert not unread, f"unexpected message(s): {[r.text[:80] for r in unread]}"
