"""The Official Account end to end: URL verification, plain and safe mode, passive replies
within the time limit, "success" and the customer-service API when the core is slow, and
WeChat's retries answered the same without acting twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import DISPATCHER
from handlers.messages import Image, Incoming, Reply, Text
from tests.fakes.wechat_records import MP
from tests.fakes.wechat_users import sha1
from tests.wechat_fixtures import WECHAT_TOKEN, WxService, running_wx_service

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def count_handled(
    service: WxService,
    monkeypatch: pytest.MonkeyPatch,
    *,
    delay: float = 0.0,
    replies: list[Reply] | None = None,
) -> Callable[[], int]:
    """Wrap the core: how many messages it handled (optionally slow, or with fixed replies)."""
    dispatcher = service.app[DISPATCHER]
    original = dispatcher.handle
    handled: list[Incoming] = []

    async def handle(msg: Incoming) -> list[Reply]:
        handled.append(msg)
        await asyncio.sleep(delay)
        return replies if replies is not None else await original(msg)

    monkeypatch.setattr(dispatcher, "handle", handle)
    return lambda: len(handled)


async def test_url_verification_is_the_plain_signature(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path, safe=True) as service:  # plain even in safe mode
        url = service.mp_person("x").url
        ts, nonce = str(int(time.time())), "8812"
        query = {
            "signature": sha1(WECHAT_TOKEN, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "echostr": "5837397520521673431",
        }
        async with service.session.get(url, params=query) as response:
            assert (response.status, await response.text()) == (200, "5837397520521673431")
        query["signature"] = sha1("not-the-token", ts, nonce)
        async with service.session.get(url, params=query) as response:
            assert response.status == 403


async def test_join_by_qr_code_and_talk_in_passive_replies(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path) as service:
        assert service.fake.menus[MP]["button"]
        person = service.mp_person("oPenId_Zhang")
        answer = await person.say("帮助")
        assert answer.status == 200 and answer.text.startswith("<xml>")
        stranger = await person.expect_text("加入 邀请码")
        assert stranger.via == "passive"
        await person.event("subscribe", f"qrscene_{service.codes['member']}")  # a QR code
        await person.expect_text("真实姓名")
        await person.say("张三")
        await person.expect_text("身份是")
        await person.click("cmd:opinion")
        ask = await person.expect_text("实名还是匿名")
        assert ask.via == "passive" and ask.options["实名提意见"] == 1
        await person.choose("实名提意见")
        await person.expect_text("提给谁")
        assert service.fake.calls_to(MP, "message/custom/send") == []


async def test_slow_core_answers_success_then_through_customer_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_wx_service(tmp_path) as service:
        service.wechat.passive_budget = 0.2
        handled = count_handled(service, monkeypatch, delay=0.5)
        person = service.mp_person("oSlow")
        message = person.text("帮助")
        service.fake.wrote(person.user)  # (post() sends as given; send() would say so too)
        started = time.monotonic()
        first = await person.post(*person.request(message))
        assert (first.status, first.text) == (200, "success")
        assert time.monotonic() - started < 0.45  # not waiting for the core
        retry = await person.post(*person.request(message))  # WeChat retrying meanwhile
        assert (retry.status, retry.text) == (200, "success")
        late = await person.expect_text("加入 邀请码")
        assert late.via == "custom"
        await person.expect_nothing()
        assert handled() == 1


async def test_a_retried_message_gets_the_same_passive_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_wx_service(tmp_path) as service:
        handled = count_handled(service, monkeypatch, delay=0.1)
        person = service.mp_person("oRetry")
        message = person.text("帮助")
        answers = await asyncio.gather(
            person.post(*person.request(message)), person.post(*person.request(message))
        )
        assert answers[0].status == answers[1].status == 200
        assert answers[0].text == answers[1].text and "加入 邀请码" in answers[0].text
        assert handled() == 1
        event = person.fields("event", Event="click", EventKey="cmd:help")  # no MsgId
        await person.post(*person.request(event))
        await person.post(*person.request(event))
        assert handled() == 2


async def test_the_first_reply_is_passive_and_the_rest_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_wx_service(tmp_path) as service:
        replies: list[Reply] = [Text("第一条"), Text("第二条"), Image(PNG, caption="图表")]
        count_handled(service, monkeypatch, replies=replies)
        person = service.mp_person("oMany")
        await person.say("月通报")
        received = [await person.expect() for _ in range(4)]
        assert [(r.via, r.msgtype, r.text) for r in received] == [
            ("passive", "text", "第一条"),
            ("custom", "text", "第二条"),
            ("custom", "image", ""),
            ("custom", "text", "图表"),
        ]
        assert received[2].media is not None and received[2].media.data == PNG


async def test_safe_mode_seals_both_ways_and_refuses_plain_bodies(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path, safe=True) as service:
        person = service.mp_person("oSafe")
        answer = await person.say("帮助")
        assert "<Encrypt>" in answer.text and "加入" not in answer.text  # sealed
        await person.expect_text("加入 邀请码")  # opened and its signature checked
        ts, nonce = str(int(time.time())), "31337"
        plain = {
            "signature": sha1(WECHAT_TOKEN, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": "oSafe",
        }
        body = b"<xml><FromUserName>oSafe</FromUserName><MsgType>text</MsgType></xml>"
        answer = await person.post(plain, body)
        assert answer.status == 403
