"""AiohttpRequest, python-telegram-bot's transport on aiohttp, against the fake Bot API.

Real PTB ``Bot`` objects make the calls, so what is checked is the contract PTB relies on:
parameters and uploads arrive as Telegram reads them, answers come back as (status,
body), and every failure surfaces as the exception PTB's own httpx transport would raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram_request import AiohttpRequest
from tests.fakes import FakeTelegram, FakeUser, Fault


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as running:
        yield running


def make_bot(fake: FakeTelegram, request: AiohttpRequest | None = None) -> Bot:
    return Bot(
        fake.token,
        base_url=f"{fake.url}/bot",
        base_file_url=f"{fake.url}/file/bot",
        request=request or AiohttpRequest(),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with make_bot(fake) as started:  # initialize() calls getMe
        yield started


@pytest.fixture
def user(fake: FakeTelegram) -> FakeUser:
    person = fake.user(4242, "李四")
    person.log.started = True  # has written to the bot, so the bot may write back
    return person


async def test_get_me_and_the_user_agent(fake: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == fake.username and me.id == fake.bot["id"]
    assert bot.username == fake.username
    assert [c.method for c in fake.calls_to("getMe")]


async def test_send_message_with_an_inline_keyboard(user: FakeUser, bot: Bot) -> None:
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("帮助", callback_data="cmd:help")],
         [InlineKeyboardButton("网页", url="https://example.org/?a=1&b=二")]]
    )  # fmt: skip
    sent = await bot.send_message(user.chat_id, "你好 & <b>", reply_markup=markup)
    assert sent.text == "你好 & <b>" and sent.chat.id == user.chat_id
    received = await user.expect_text("你好 & <b>")
    assert received.buttons == ["帮助", "网页"]
    assert received.button("帮助") == {"text": "帮助", "callback_data": "cmd:help"}
    assert received.button("网页") == {"text": "网页", "url": "https://example.org/?a=1&b=二"}


async def test_send_document_is_a_multipart_upload(user: FakeUser, bot: Bot) -> None:
    data = bytes(range(256)) * 64  # binary, with every byte value
    sent = await bot.send_document(
        user.chat_id, data, filename='整改台帐 "2026".xlsx', caption="第一季度"
    )
    assert sent.document is not None and sent.document.file_size == len(data)
    received = await user.expect_text("第一季度")
    assert received.upload is not None
    assert received.upload.data == data
    assert received.upload.filename == '整改台帐 "2026".xlsx'
    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == data  # a GET through the same request object


async def test_long_poll_get_updates(fake: FakeTelegram, user: FakeUser, bot: Bot) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_call("getUpdates", answered=False)
    await user.say("/help")
    updates = await asyncio.wait_for(waiting, 5)
    assert [u.effective_message.text for u in updates if u.effective_message] == ["/help"]


async def test_flood_control_429_is_retry_after(
    fake: FakeTelegram, user: FakeUser, bot: Bot
) -> None:
    fake.inject("sendMessage", Fault.flood(retry_after=7))
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.chat_id, "太快了")
    assert caught.value.retry_after in (7, 7.0) or caught.value.retry_after.total_seconds() == 7
    assert (await bot.send_message(user.chat_id, "再试一次")).text == "再试一次"


async def test_blocked_403_is_forbidden(fake: FakeTelegram, user: FakeUser, bot: Bot) -> None:
    fake.block(user.chat_id)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(user.chat_id, "还在吗")


async def test_bad_request_400(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(123, "nobody")


async def test_slow_answer_is_timed_out(fake: FakeTelegram, user: FakeUser, bot: Bot) -> None:
    fake.inject("sendMessage", Fault.slow(2.0))
    with pytest.raises(TimedOut):
        await bot.send_message(user.chat_id, "慢", read_timeout=0.2)


async def test_full_pool_is_timed_out(fake: FakeTelegram, user: FakeUser) -> None:
    request = AiohttpRequest(connection_pool_size=1, pool_timeout=0.2)
    async with make_bot(fake, request) as bot:
        fake.inject("sendMessage", Fault.slow(1.0))
        first = asyncio.create_task(bot.send_message(user.chat_id, "占着连接"))
        while not fake.calls_to("sendMessage"):  # the slow call holds the only connection
            await asyncio.sleep(0.01)
        with pytest.raises(TimedOut, match="pool"):
            await bot.send_message(user.chat_id, "等不到连接")
        assert (await first).text == "占着连接"


async def test_dropped_connection_is_network_error(
    fake: FakeTelegram, user: FakeUser, bot: Bot
) -> None:
    fake.inject("sendMessage", Fault.dropped())
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(user.chat_id, "断了")
    assert not isinstance(caught.value, TimedOut)


async def test_nothing_listening_is_network_error() -> None:
    async with FakeTelegram() as gone:
        url = gone.url
    bot = Bot(gone.token, base_url=f"{url}/bot", request=AiohttpRequest(connect_timeout=2))
    with pytest.raises(NetworkError):
        await bot.get_me()


async def test_shutdown_closes_and_initialize_reopens(fake: FakeTelegram) -> None:
    request = AiohttpRequest()
    bot = make_bot(fake, request)
    async with bot:
        assert (await bot.get_me()).username == fake.username
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{fake.url}/bot{fake.token}/getMe", "POST")
    async with bot:  # PTB may initialize a bot again after shutting it down
        assert (await bot.get_me()).username == fake.username
    assert request.read_timeout == 5.0 and request.connection_pool_size == 256
