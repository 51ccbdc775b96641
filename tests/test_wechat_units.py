"""The WeChat channels' parts on their own: crypto (against WeChat's published vectors),
XML, numbered options, the menu, rendering, and the access-token keeper."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from bot.channels.wx_buttons import Options, menu
from bot.channels.wx_convert import Card, render, split_bytes, to_incoming
from bot.channels.wx_crypto import CryptoError, Envelope, aes_key, signed
from bot.channels.wx_guard import Expiring
from bot.channels.wx_token import TokenKeeper
from bot.channels.wx_xml import MAX_BODY, XmlRefused, find_encrypt, parse
from config.i18n import default_catalog
from handlers.messages import Button, File, Forget, Image, Text
from handlers.registry import build_router

# WeChat's published sample (WeCom's "加解密方案说明"): token, CorpID and EncodingAESKey,
# a URL verification and an encrypted callback with their signatures.
TOKEN, CORP_ID = "QDG6eK", "wx5823bf96d3bd56c7"
KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
ECHO = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
SEALED = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3Qczc"
    "dCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjv"
    "d4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnv"
    "w2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k2"
    "2Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2Yoyy"
    "H2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)


def test_wechats_published_url_verification_opens() -> None:
    assert signed(
        "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", TOKEN, "1409659589", "263014780", ECHO
    )
    assert Envelope(KEY, CORP_ID).open(ECHO) == "1616140317555161061"


def test_wechats_published_callback_opens() -> None:
    sig = "477715d11cdb4164915debcba66cb864d751f3e6"
    assert signed(sig, TOKEN, "1409659813", "1372623149", SEALED)
    assert not signed(sig, TOKEN, "1409659814", "1372623149", SEALED)
    fields = parse(Envelope(KEY, CORP_ID).open(SEALED))
    assert fields["MsgType"] == "text" and fields["Content"] == "hello"
    assert fields["FromUserName"] == "mycreate" and fields["MsgId"] == "4561255354251345929"


def test_plain_signature_is_sha1_of_the_sorted_parts() -> None:
    joined = "".join(sorted(["tok", "1700000000", "42"]))
    expected = hashlib.sha1(joined.encode()).hexdigest()  # noqa: S324  (the protocol's)
    assert signed(expected, "tok", "1700000000", "42")
    assert signed(expected.upper(), "tok", "1700000000", "42")
    assert not signed("签名", "tok", "1700000000", "42")  # not even ASCII: refused, no error


def test_envelope_round_trip_and_refusals() -> None:
    envelope = Envelope(KEY, CORP_ID)
    sealed = envelope.seal("<xml><Content>你好</Content></xml>")
    assert envelope.open(sealed) == "<xml><Content>你好</Content></xml>"
    with pytest.raises(CryptoError):
        Envelope(KEY, "wwanother").open(sealed)  # sealed for another app
    with pytest.raises(CryptoError):
        envelope.open(sealed[:-8] + "AAAAAAA=")
    with pytest.raises(CryptoError):
        envelope.open("not base64 at all!")
    with pytest.raises(CryptoError):
        aes_key(KEY[:-1])


def test_xml_refuses_dtds_entities_and_size() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
            for p, c in zip("abcdefg", "bcdefgh", strict=True)
        )
        + "]><xml><Content>&h;</Content></xml>"
    )
    external = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><C>&e;</C></xml>'
    for evil in (laughs, external, "<xml><a>", "<other/>", "x" * (MAX_BODY + 1)):
        with pytest.raises(XmlRefused):
            parse(evil)
    assert find_encrypt(b"<xml><Encrypt><![CDATA[abc=]]></Encrypt></xml>") == "abc="
    assert find_encrypt(b"<xml><Encrypt>&e;</Encrypt></xml>") is None


def test_numbered_options_are_remembered_replaced_and_expire() -> None:
    now = [0.0]
    options = Options(ttl=60, clock=lambda: now[0])
    options.remember("u1", ["op:named", "op:anon"])
    assert options.resolve("u1", "1") == "op:named"
    assert options.resolve("u1", " ２ ") == "op:anon"  # full-width, as phones type it
    assert options.resolve("u1", "2.") == "op:anon"
    assert options.resolve("u1", "3") is None and options.resolve("u1", "一") is None
    assert options.resolve("u2", "1") is None
    options.remember("u1", [])  # a message without options: a number is just a number
    assert options.resolve("u1", "1") is None
    options.remember("u1", ["x:y"])
    now[0] = 61
    assert options.resolve("u1", "1") is None


def test_expiring_map_is_bounded() -> None:
    seen: Expiring[int, int] = Expiring(ttl=100, limit=3)
    for i in range(10):
        seen.put(i, i)
    assert len(seen) == 3 and seen.get(0) is None and seen.get(9) == 9


def test_render_numbers_options_links_and_cards() -> None:
    def line(n: int, label: str) -> str:
        return f"回复 {n} {label}"

    replies = [
        Text("提意见:实名还是匿名?", ((Button("实名", "op:n"), Button("匿名", "op:a")),)),
        Text("看看公示", ((Button("公示", url="https://example.org/l?a=1&b=2"),),)),
        Text("第二条", ((Button("帮助", "cmd:help"),),)),
        Forget(("12",)),
        Image(b"png", caption="图"),
    ]
    pieces, payloads = render(replies, line)
    assert payloads == ["op:n", "op:a", "cmd:help"]
    assert pieces[0] == "提意见:实名还是匿名?\n\n回复 1 实名\n回复 2 匿名"
    assert pieces[1] == '看看公示\n\n<a href="https://example.org/l?a=1&amp;b=2">公示</a>'
    assert pieces[2].endswith("回复 3 帮助")  # type: ignore[union-attr]
    assert isinstance(pieces[3], Image) and pieces[4] == "图" and len(pieces) == 5
    card = Text("整改公示\n本月完成 3 项。", ((Button("查看", url="https://example.org"),),))
    assert render([card], line, cards=True)[0] == [
        Card("整改公示", "本月完成 3 项。", "https://example.org", "查看")
    ]
    file = File(b"x", "台帐.xlsx", caption="台帐")
    assert render([file], line)[0] == [file, "台帐"]


def test_long_texts_are_split_by_bytes_at_line_breaks() -> None:
    text = "\n".join(f"第{i}行:群众路线教育实践活动" for i in range(300))
    parts = split_bytes(text, 2000)
    assert all(len(p.encode()) <= 2000 for p in parts) and len(parts) > 1
    assert "\n".join(parts) == text
    assert all(len(p.encode()) <= 100 for p in split_bytes("字" * 500, 100))


def test_callbacks_become_incoming() -> None:
    options = Options()
    options.remember("u1", ["op:n"])
    base = {"FromUserName": "u1", "CreateTime": "1"}
    assert to_incoming("wecom", {**base, "MsgType": "text", "Content": "1"}, options).payload == (  # type: ignore[union-attr]
        "op:n"
    )
    assert to_incoming("wecom", {**base, "MsgType": "text", "Content": "帮助"}, options).text == (  # type: ignore[union-attr]
        "帮助"
    )
    click = to_incoming(
        "wecom", {**base, "MsgType": "event", "Event": "click", "EventKey": "cmd:help"}, options
    )
    assert click is not None and click.payload == "cmd:help"
    follow = to_incoming(
        "wechat",
        {**base, "MsgType": "event", "Event": "subscribe", "EventKey": "qrscene_7K3F9QXD2M"},
        options,
    )
    assert follow is not None and follow.text == "/start 7K3F9QXD2M"
    image = to_incoming("wecom", {**base, "MsgType": "image", "MediaId": "M1"}, options)
    assert image is not None and image.attachments[0].kind == "photo"
    assert image.attachments[0].ref == "M1"
    view = {**base, "MsgType": "event", "Event": "view", "EventKey": "https://x"}
    assert to_incoming("wecom", view, options) is None
    assert to_incoming("wecom", {"MsgType": "text", "Content": "x"}, options) is None


def test_menu_fits_wechats_limits_and_holds_help() -> None:
    buttons = menu(build_router().commands.values(), default_catalog(), "zh")
    assert 1 <= len(buttons) <= 3
    keys = []
    for button in buttons:
        assert len(button["name"].encode()) <= 16
        for item in button.get("sub_button", [button]):
            assert item["type"] == "click" and item["key"].startswith("cmd:")
            keys.append(item["key"])
        assert len(button.get("sub_button", [])) <= 5
    assert "cmd:help" in keys and "cmd:opinion" in keys
    assert "cmd:admin" not in keys  # the menu is everyone's: admin-only commands stay out


async def test_token_keeper_refreshes_once_for_many_and_before_expiry() -> None:
    now = [0.0]
    fetched: list[str] = []

    async def fetch() -> tuple[str, float]:
        await asyncio.sleep(0.01)
        fetched.append(f"t{len(fetched) + 1}")
        return fetched[-1], 7200

    keeper = TokenKeeper(fetch, clock=lambda: now[0])
    assert set(await asyncio.gather(*(keeper.get() for _ in range(20)))) == {"t1"}
    assert await asyncio.gather(*(keeper.renew("t1") for _ in range(20))) == ["t2"] * 20
    now[0] = 7200 - 301  # not yet within five minutes of expiry
    assert await keeper.get() == "t2"
    now[0] = 7200 - 299  # within five minutes of expiry: fetched anew, ahead of time
    assert await keeper.get() == "t3" and keeper.refreshes == 3
