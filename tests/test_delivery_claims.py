"""Claims on each engine (issue 4, issue 9 item 7): deliverers that share one outbox —
processes on SQLite, replicas on PostgreSQL (FOR UPDATE SKIP LOCKED) — never claim the same
row, so nobody is sent a message twice; and an in-flight window that is full stops the
sending until outcomes are committed."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.delivery import Deliverer
from handlers.admin_ops import create_org
from handlers.messages import Reply, Text, to_json
from storage.db import Database
from storage.repos import Repos
from tests.test_delivery_support import seed_members, statuses


class Recording:
    """A channel that takes a little while per message and remembers every send."""

    name = "telegram"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(
        self, external_id: str, replies: list[Reply], *, kind: str | None = None
    ) -> None:
        await asyncio.sleep(0.002)
        self.sent.append(external_id)


async def _queue(db: Database, count: int) -> None:
    org = await db.run(lambda session: create_org(Repos(session), "测试规划局", actor="t"))
    assert org.id is not None
    members = await seed_members(db, org.id, count)

    async def add(session: object) -> None:
        outbox = Repos(session).outbox  # type: ignore[arg-type]
        for member_id in members:
            await outbox.enqueue(member_id, "test", to_json([Text("通知")]), batch="claims")

    await db.run(add)


async def test_two_deliverers_on_one_outbox_send_each_message_once(db: Database) -> None:
    count = 300
    await _queue(db, count)
    other = Database(db.url, schema=db.schema)  # another process's engine
    channels = [Recording(), Recording()]
    workers = [
        Deliverer(engine, {"telegram": channel}, rate=1000)
        for engine, channel in zip((db, other), channels, strict=True)
    ]
    try:
        for worker in workers:
            await worker.start()
        async with asyncio.timeout(30):
            while sum(len(c.sent) for c in channels) < count:
                await asyncio.sleep(0.05)
            while (await statuses(db, "claims")).get("sent", 0) < count:
                await asyncio.sleep(0.05)
    finally:
        for worker in workers:
            await worker.stop()
        await other.dispose()
    sends = Counter(chat for c in channels for chat in c.sent)
    assert len(sends) == count and set(sends.values()) == {1}
    assert all(c.sent for c in channels), [len(c.sent) for c in channels]  # both took part


async def test_a_full_window_waits_for_outcomes_to_be_committed(db: Database) -> None:
    await _queue(db, 40)
    channel = Recording()
    worker = Deliverer(db, {"telegram": channel}, rate=1000, in_flight=4)
    real = db.run
    held = asyncio.Event()

    async def stalled(work: object, **kw: object) -> object:
        await held.wait()  # the database does not answer: no outcome can be committed
        return await real(work, **kw)  # type: ignore[arg-type]

    await worker.start()
    try:
        async with asyncio.timeout(10):
            while len(channel.sent) < 4:
                await asyncio.sleep(0.01)
        db.run = stalled  # type: ignore[method-assign]
        before = len(channel.sent)
        await asyncio.sleep(0.5)
        assert len(channel.sent) <= before + 4  # at most the window went out meanwhile
        db.run = real  # type: ignore[method-assign]
        held.set()
        async with asyncio.timeout(10):
            while (await statuses(db, "claims")).get("sent", 0) < 40:
                await asyncio.sleep(0.05)
    finally:
        db.run = real  # type: ignore[method-assign]
        held.set()
        await worker.stop()
    assert Counter(channel.sent).most_common(1)[0][1] == 1
