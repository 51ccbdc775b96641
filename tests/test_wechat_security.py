"""What a forged, stale, replayed, hostile or oversized callback gets: refused early, with a
4xx, nothing acted on, and no large memory growth."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.channels import wechat, wecom
from bot.channels.wx_crypto import Envelope
from tests.fakes.wechat_users import WxPerson, sha1
from tests.wechat_fixtures import WECHAT_TOKEN, WECOM_AES, running_wx_service

LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    + "]><xml><ToUserName>gh</ToUserName><FromUserName>oX</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&l9;</Content>"
    "<MsgId>1</MsgId></xml>"
)  # 10^9 × "lol" once expanded


def external(path: Path) -> str:
    return (
        f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY secret SYSTEM "file://{path}">]>'
        "<xml><ToUserName>gh</ToUserName><FromUserName>oX</FromUserName><CreateTime>1"
        "</CreateTime><MsgType>text</MsgType><Content>&secret;</Content><MsgId>2</MsgId></xml>"
    )


def never(name: str) -> Callable[..., Any]:
    def called(*_args: object, **_kw: object) -> None:
        raise AssertionError(f"{name} ran on a request that should have been refused")

    return called


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Any]:
    async with running_wx_service(tmp_path) as running:
        yield running


async def test_a_wrong_msg_signature_is_refused_before_anything_is_parsed(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wecom, "parse", never("the XML parser"))
    monkeypatch.setattr(wecom.Envelope, "open", never("decryption"))
    person: WxPerson = service.wecom_person("zhangsan")
    query, body = person.request(person.text("帮助"))
    forged = {
        **query,
        "msg_signature": sha1("guessed-token", query["timestamp"], query["nonce"], "x"),
    }
    assert (await person.post(forged, body)).status == 403
    assert (await person.post({}, body)).status == 403
    assert (await person.post(query, LAUGHS.encode())).status == 403  # no signed Encrypt in it
    await person.expect_nothing()


async def test_a_wrong_signature_is_refused_before_the_body_is_read(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wechat, "read_capped", never("reading the body"))
    person: WxPerson = service.mp_person("oX")
    query, _ = person.request(person.text("帮助"))
    query["signature"] = sha1("guessed-token", query["timestamp"], query["nonce"])
    answer = await person.post(query, b"<xml>" + b" " * (2 * 1024 * 1024) + b"</xml>")
    assert answer.status == 403  # not 413: its size was never looked at


@pytest.mark.parametrize("skew", [-301, 400])
async def test_stale_or_future_timestamps_are_refused(service: Any, skew: int) -> None:
    for person in (service.wecom_person("u1"), service.mp_person("o1")):
        stamp = str(int(time.time()) + skew)
        assert (
            await person.post(*person.request(person.text("帮助"), timestamp=stamp))
        ).status == 403
        fine = str(int(time.time()) - 250)
        assert (
            await person.post(*person.request(person.text("帮助"), timestamp=fine))
        ).status == 200


async def test_a_nonce_used_again_with_another_body_is_refused(service: Any) -> None:
    for person in (service.wecom_person("u2"), service.mp_person("o2")):
        stamp = str(int(time.time()))
        first = person.request(person.text("帮助"), timestamp=stamp, nonce="424242")
        assert (await person.post(*first)).status == 200
        replayed = person.request(person.text("管理"), timestamp=stamp, nonce="424242")
        assert (await person.post(*replayed)).status == 403


async def test_billion_laughs_gets_400_fast_and_small(service: Any) -> None:
    plain: WxPerson = service.mp_person("oX")
    sealed: WxPerson = service.wecom_person("uX")
    tracemalloc.start()
    try:
        started = time.monotonic()
        for person in (plain, sealed):  # as a plain body, and inside a signed envelope
            assert (await person.post(*person.request(LAUGHS))).status == 400
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 4 * 1024 * 1024, f"{peak} bytes at the peak"


async def test_external_entities_are_never_fetched(service: Any, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    for person in (service.mp_person("oX"), service.wecom_person("uX")):
        answer = await person.post(*person.request(external(secret)))
        assert answer.status == 400 and "TOP-SECRET" not in answer.text
    assert not service.fake.calls_to("wecom", "message/send")


async def test_oversized_bodies_get_413_chunked_or_not(service: Any) -> None:
    person: WxPerson = service.mp_person("oBig")
    query, _ = person.request(person.text("帮助"))
    big = b"<xml><Content>" + b"x" * (200 * 1024) + b"</Content></xml>"
    assert (await person.post(query, big)).status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(30):
            yield b"x" * 8192
            await asyncio.sleep(0)

    query, _ = person.request(person.text("帮助"))
    assert (await person.post(query, chunks())).status == 413  # type: ignore[arg-type]


async def test_a_message_sealed_for_another_app_is_refused(service: Any) -> None:
    person: WxPerson = service.wecom_person("uOther")
    person.envelope = Envelope(WECOM_AES, "wwanothercorp")
    assert (await person.post(*person.request(person.text("帮助")))).status == 400


async def test_safe_mode_checks_the_msg_signature_too(tmp_path: Path) -> None:
    async with running_wx_service(tmp_path, safe=True) as safe:
        person: WxPerson = safe.mp_person("oSafe")
        query, body = person.request(person.text("帮助"))
        query["msg_signature"] = sha1(WECHAT_TOKEN, query["timestamp"], query["nonce"], "x")
        assert (await person.post(query, body)).status == 403
