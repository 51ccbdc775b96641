"""Against a Bot API that enforces Telegram's limits (429 beyond them, as Telegram does),
pushes paced at MASSLINE_SEND_RATE = the server's limit are never refused, and the pace
uses the limit rather than a safe fraction of it (issue 9, target 3, in small)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from aiohttp import ClientSession

from tests.test_delivery_support import enqueue, open_chats, received, seed_members, serving


async def test_the_fake_refuses_what_telegram_would(tmp_path: Path) -> None:
    async with serving(tmp_path) as service:
        fake = service.fake
        limit = fake.limit_rate(5)
        open_chats(fake, range(100, 108))
        async with ClientSession() as http:

            async def send(chat: int) -> int:
                url = f"{fake.url}/bot{fake.token}/sendMessage"
                async with http.post(url, json={"chat_id": chat, "text": "x"}) as answer:
                    body = await answer.json()
                    if answer.status == 429:
                        assert body["parameters"]["retry_after"] == limit.retry_after
                    return answer.status

            burst = [await send(chat) for chat in range(100, 107)]
            again = await send(100)  # the same chat within a second, and over the limit
        assert burst == [200] * 5 + [429] * 2 and again == 429
        assert [r.why for r in limit.refused] == ["overall"] * 3
        assert limit.accepted == 5


async def test_sending_at_the_servers_limit_is_never_refused(tmp_path: Path) -> None:
    rate, count = 40, 200
    async with serving(tmp_path, send_rate=rate) as service:
        limit = service.fake.limit_rate(rate)
        chats = await seed_members(service.db, service.org_id, count)
        open_chats(service.fake, chats.values())
        started = time.monotonic()
        await enqueue(service, chats, "限流测试通知", "at-limit")
        chat_ids = list(chats.values())
        deadline = started + count / rate + 15
        while len(received(service.fake, chat_ids, "限流测试通知")) < count:
            assert time.monotonic() < deadline, "not everyone got it in time"
            await asyncio.sleep(0.1)
        elapsed = time.monotonic() - started
        got = received(service.fake, chat_ids, "限流测试通知")
        print(f"\n{count} pushes at the server's limit of {rate}/s: {elapsed:.2f}s "
              f"(floor {count / rate:.2f}s), refused {len(limit.refused)}")  # fmt: skip
        assert set(got.values()) == {1}
        assert limit.refused == []
        assert elapsed < count / rate * 1.25 + 1.5  # the limit is used, not a fraction of it
