"""How replies go out on Telegram (issue 9): several updates at once, each chat in order;
replies not throttled ahead; and in webhook mode one call riding in the webhook's answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.channels.telegram_flood import PUSH, RepliesRateLimiter
from tests.fakes import Fault
from tests.telegram_fixtures import Service, running_service


@pytest.fixture
async def polling(tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(tmp_path) as running:
        yield running


@pytest.fixture
async def webhook(tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(tmp_path, webhook=True) as running:
        yield running


async def test_a_slow_chat_does_not_hold_up_the_others(polling: Service) -> None:
    slow, quick = await polling.joined(3001, "慢一"), await polling.joined(3002, "快二")
    polling.fake.inject("sendMessage", Fault.slow(3.0, chat_id=slow.chat_id))
    await slow.say("/help")
    await quick.say("/help")
    await quick.expect_text("你现在可以")
    assert slow.log.inbox[slow.log.read :] == []  # still being sent, three seconds long
    await slow.expect_text("你现在可以", timeout=10)


async def test_one_chat_is_answered_in_the_order_it_wrote(polling: Service) -> None:
    user = await polling.joined(3003, "孙三")
    polling.fake.inject("sendMessage", Fault.slow(0.5, chat_id=user.chat_id))
    for text in ("/lang en", "/help", "/lang zh", "/help"):
        await user.say(text)  # all waiting at once; the first reply is slow to send
    await user.expect_text("The interface language is now English")
    await user.expect_text("What you can do now")
    await user.expect_text("界面语言已设为中文")
    await user.expect_text("你现在可以")


async def test_button_taps_and_messages_of_one_chat_keep_their_order(polling: Service) -> None:
    user = await polling.joined(3004, "李四")
    await user.say("/lang")
    await user.expect_text("请选择界面语言")
    polling.fake.inject("answerCallbackQuery", Fault.slow(0.5))
    query = await user.tap("English")  # answered slowly, then the language changes
    await user.say("/help")  # must be read after the tap: in English
    await user.answered(query)
    await user.expect_text("The interface language is now English")
    await user.expect_text("What you can do now")


async def _replies(limiter: RepliesRateLimiter, count: int, **extra: Any) -> float:
    """Seconds ``count`` replies to as many chats take through the limiter, sent at once."""

    async def send(**_kwargs: Any) -> bool:
        return True

    started = time.monotonic()
    await asyncio.gather(*(
        limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 5000 + n}, **extra)
        for n in range(count)
    ))  # fmt: skip
    return time.monotonic() - started


async def test_replies_are_not_throttled_ahead_but_a_30_per_second_limiter_would() -> None:
    assert await _replies(RepliesRateLimiter(), 90, rate_limit_args=None) < 1.0
    assert await _replies(RepliesRateLimiter(30), 90, rate_limit_args=None) >= 1.5
    assert await _replies(RepliesRateLimiter(30), 90, rate_limit_args=PUSH) < 1.0


async def test_the_limiter_remembers_when_telegram_said_to_wait() -> None:
    limiter = RepliesRateLimiter()

    async def refused(**_kwargs: Any) -> bool:
        raise RetryAfter(2)

    with pytest.raises(RetryAfter):
        await limiter.process_request(refused, (), {}, "sendMessage", {"chat_id": 7},
                                      rate_limit_args=PUSH)  # fmt: skip
    assert limiter.flooded() and limiter.flooded(60)
    assert not RepliesRateLimiter().flooded(60)


async def test_webhook_reply_rides_in_the_answer(webhook: Service) -> None:
    fake = webhook.fake
    user = await webhook.joined(3005, "周五")
    sent_before = len(fake.calls_to("sendMessage", user.chat_id))
    await user.say("/help")
    await user.expect_text("你现在可以")
    assert fake.webhook_calls[-1] == ("sendMessage", 200)
    assert len(fake.calls_to("sendMessage", user.chat_id)) == sent_before + 1  # that one only


async def test_webhook_reply_of_two_messages_rides_the_last_in_order(webhook: Service) -> None:
    fake = webhook.fake
    user = await webhook.joined(3006, "吴六")
    riding = len(fake.webhook_calls)
    await user.say("/nonsense")
    await user.expect_text("没有“/nonsense”这个命令")
    menu = await user.expect()
    assert menu.buttons  # the menu, last: it came in the webhook's answer
    assert fake.webhook_calls[riding:] == [("sendMessage", 200)]


async def test_webhook_tap_rides_its_answer_and_the_reply_is_sent(webhook: Service) -> None:
    fake = webhook.fake
    user = await webhook.joined(3007, "郑七")
    await user.say("/lang")
    await user.expect_text("请选择界面语言")
    riding = len(fake.webhook_calls)
    query = await user.tap("English")
    await user.answered(query)
    await user.expect_text("The interface language is now English")
    assert fake.webhook_calls[riding:] == [("answerCallbackQuery", 200)]


async def test_after_flood_control_webhook_replies_are_sent_and_waited_out(
    webhook: Service,
) -> None:
    fake = webhook.fake
    user = await webhook.joined(3008, "王八")
    riding = len(fake.webhook_calls)
    fake.inject("sendMessage", Fault.flood(retry_after=1, chat_id=user.chat_id))
    await user.say("/nonsense")  # its first message meets the 429 and waits it out
    await user.expect_text("没有“/nonsense”这个命令", timeout=5)
    await user.expect()
    await user.say("/help")
    await user.expect_text("你现在可以")
    assert fake.webhook_calls[riding:] == []  # nothing rides where it could be lost unseen
    statuses = [c.status for c in fake.calls_to("sendMessage", user.chat_id)]
    assert statuses[-4:] == [429, 200, 200, 200]
