"""Delivery guarantees (issue 4), each against the fake Bot API over real HTTP, through the
app that create_app builds: the pace, the per-chat spacing, a 429's pause, a 403, a 5xx."""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

from bot.app import DELIVERER
from bot.channels.base import RetryLater
from bot.delivery import PER_CHAT_INTERVAL
from handlers.messages import Reply
from storage.models import OutboxStatus
from tests.fakes import Fault
from tests.telegram_fixtures import Service, eventually
from tests.test_delivery_support import (
    busiest_second,
    enqueue,
    open_chats,
    received,
    seed_members,
    serving,
    statuses,
)


async def _all_done(service: object, batch: str, count: int, within: float) -> None:
    async def done() -> bool:
        """every row of the batch has an outcome"""
        found = await statuses(service.db, batch)  # type: ignore[attr-defined]
        return sum(found.values()) == count and not found.get(OutboxStatus.queued)

    await eventually(done, within=within)


async def test_the_send_rate_is_never_exceeded_in_any_second(tmp_path: Path) -> None:
    rate, count = 50, 300
    async with serving(tmp_path, send_rate=rate) as service:
        chats = await seed_members(service.db, service.org_id, count)
        open_chats(service.fake, chats.values())
        started = time.monotonic()
        await enqueue(service, chats, "限速测试通知", "rate")
        await _all_done(service, "rate", count, within=count / rate + 10)
        elapsed = time.monotonic() - started
        got = received(service.fake, chats.values(), "限速测试通知")
        assert set(got.values()) == {1} and len(got) == count
        sends = [c for c in service.fake.calls_to("sendMessage") if c.chat_id in got]
        busiest = busiest_second(sends)
        print(f"\n{count} sends at MASSLINE_SEND_RATE={rate}: {elapsed:.2f}s "
              f"({count / elapsed:.1f}/s), busiest second {busiest}")  # fmt: skip
        assert busiest <= rate
        assert elapsed >= (count - rate) / rate  # the pace is kept, not merely capped


async def test_parts_and_messages_to_one_chat_are_a_second_apart(tmp_path: Path) -> None:
    async with serving(tmp_path, send_rate=100) as service:
        chats = await seed_members(service.db, service.org_id, 1)
        (member_id, chat), = chats.items()  # fmt: skip
        open_chats(service.fake, [chat])
        await enqueue(service, [member_id], "长" * 5000, "parts")  # two parts on Telegram
        await enqueue(service, [member_id], "第二条", "parts")
        await _all_done(service, "parts", 2, within=10)
        calls = service.fake.calls_to("sendMessage", chat)
        assert [c.status for c in calls] == [200, 200, 200]
        gaps = [b.at - a.at for a, b in pairwise(calls)]
        assert min(gaps) >= PER_CHAT_INTERVAL, gaps


async def test_a_429_pauses_every_send_then_retries_the_message(tmp_path: Path) -> None:
    rate, count, pause = 20, 20, 1
    async with serving(tmp_path, send_rate=rate) as service:
        chats = await seed_members(service.db, service.org_id, count)
        open_chats(service.fake, chats.values())
        flooded = list(chats.values())[5]
        service.fake.inject("sendMessage", Fault.flood(retry_after=pause, chat_id=flooded))
        starts, refused_at = watch(service)
        await enqueue(service, chats, "暂停测试通知", "flood")
        await _all_done(service, "flood", count, within=count / rate + pause + 10)
        got = received(service.fake, chats.values(), "暂停测试通知")
        assert set(got.values()) == {1} and len(got) == count
        # Our side: not one request began while the pause lasted.
        (told,) = refused_at
        assert not [t for t in starts if told <= t < told + pause]
        # Telegram's side: nothing arrived but what was already on its way (100 ms).
        calls = service.fake.calls_to("sendMessage")
        (refused,) = [c for c in calls if c.status == 429]
        during = [c for c in calls if refused.at + 0.1 < c.at < refused.at + pause]
        assert during == [], f"{len(during)} requests during the {pause}s pause"
        after = min(t - told for t in starts if t > told)
        print(f"\nfirst request after the 429: {after:.3f}s later (retry_after={pause})")
        assert service.app[DELIVERER].gates["telegram"].pauses == 1


def watch(service: Service) -> tuple[list[float], list[float]]:
    """When each push request began, and when a flood-control answer came back."""
    channel, starts, floods = service.channel, [], []
    deliver = channel.deliver

    async def watched(external_id: str, replies: list[Reply], *, kind: str | None = None) -> None:
        starts.append(time.monotonic())
        try:
            await deliver(external_id, replies, kind=kind)
        except RetryLater:
            floods.append(time.monotonic())
            raise

    channel.deliver = watched  # type: ignore[method-assign]
    return starts, floods


async def test_a_403_marks_the_account_unreachable_and_nothing_more_goes_there(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path, send_rate=200) as service:
        chats = await seed_members(service.db, service.org_id, 10)
        open_chats(service.fake, chats.values())
        blocked = list(chats.values())[:2]
        for chat in blocked:
            service.fake.block(chat)
        await enqueue(service, chats, "第一条", "b1")
        await enqueue(service, chats, "第二条", "b1")  # two rows each, claimed together
        await _all_done(service, "b1", 20, within=10)
        assert (await statuses(service.db, "b1")) == {"sent": 16, "unreachable": 4}
        for chat in blocked:
            assert [c.status for c in service.fake.calls_to("sendMessage", chat)] == [403]
        await enqueue(service, chats, "第三条", "b2")
        await _all_done(service, "b2", 10, within=10)
        for chat in blocked:
            assert len(service.fake.calls_to("sendMessage", chat)) == 1
        assert received(service.fake, chats.values(), "第三条").total() == 8


async def test_5xx_and_lost_answers_are_retried_with_backoff(tmp_path: Path) -> None:
    async with serving(tmp_path, send_rate=200) as service:
        chats = await seed_members(service.db, service.org_id, 6)
        open_chats(service.fake, chats.values())
        first, second, lost = list(chats.values())[:3]
        fake = service.fake
        fake.inject("sendMessage", Fault.server_error(chat_id=first))
        fake.inject("sendMessage", *(Fault.server_error(chat_id=second) for _ in range(2)))
        fake.inject("sendMessage", Fault.dropped(chat_id=lost))
        await enqueue(service, chats, "重试测试通知", "retry")
        await _all_done(service, "retry", 6, within=15)
        assert (await statuses(service.db, "retry")) == {"sent": 6}
        got = received(fake, chats.values(), "重试测试通知")
        # Telegram accepted the dropped one, but we never heard: the one duplicate a lost
        # answer can cause. Everyone else exactly once.
        assert got[lost] == 2 and {got[c] for c in chats.values() if c != lost} == {1}
        tries = [c.at for c in fake.calls_to("sendMessage", second)]
        assert [c.status for c in fake.calls_to("sendMessage", second)] == [500, 500, 200]
        assert tries[2] - tries[1] > (tries[1] - tries[0]) * 1.2  # the wait grows
