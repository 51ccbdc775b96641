"""Three ``python -m bot run`` processes on one PostgreSQL (issue 9, target 7), webhook mode,
each with a fake Bot API of its own so that what each sends is seen apart:

- every process answers the updates sent to it (a load balancer spreads them);
- exactly one runs the scheduler (the advisory lock of bot/leadership.py);
- a broadcast is drained by all three (claims skip rows another holds: FOR UPDATE SKIP
  LOCKED); kill -9 the scheduler's process mid-broadcast: nobody is lost, nobody gets it
  twice beyond the dead process's in-flight window, and another process takes the
  scheduler over within 30 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiohttp import ClientSession

from bot.delivery import IN_FLIGHT
from handlers.admin_ops import create_org
from storage.db import Database
from storage.migrate import upgrade
from storage.repos import Repos
from tests.databases import postgres_url
from tests.fakes import FakeTelegram, FakeUser
from tests.fakes.telegram_updates import SECRET_HEADER
from tests.test_cli import ROOT, clean_env
from tests.test_delivery_crash import TEXT, Service, broadcast_now, on_port, outcomes, until
from tests.test_delivery_support import open_chats, seed_members

MEMBERS = 1500
RATE = 100  # per process
LEADS = "scheduler: this process runs it"
STANDS_BY = "scheduler: another process runs it"

pytestmark = pytest.mark.postgres


@contextlib.asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A database of its own on the test server (the services take a URL, not a schema)."""
    server = postgres_url()
    name = f"massline_t_{secrets.token_hex(5)}"
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        admin = await asyncpg.connect(server)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def start(env: dict[str, str]) -> Service:
    """As Service.start, with more patience: three processes start at once here."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    service = Service(proc)
    await service.wait_for("telegram: @", within=90)
    return service


async def answers(fake: FakeTelegram, person: FakeUser, text: str) -> bool:
    """Whether the process behind the fake's webhook answered this message: in the
    webhook's HTTP answer (the Bot API allows one call there) or by a call of its own."""
    assert fake.webhook is not None
    update = {
        "update_id": secrets.randbelow(10**9),
        "message": person.compose(**person.typed(text)),
    }
    headers = {SECRET_HEADER: fake.webhook["secret_token"]}
    async with (
        ClientSession() as http,
        http.post(fake.webhook["url"], json=update, headers=headers) as reply,
    ):
        body = await reply.read()
    if reply.status == 200 and body and json.loads(body).get("method") == "sendMessage":
        return True
    with contextlib.suppress(AssertionError):
        return bool(await person.expect(timeout=20))
    return False


def broadcasts(fake: FakeTelegram) -> Counter[int]:
    return Counter(
        c.chat_id for c in fake.calls if c.status == 200 and TEXT in str(c.params.get("text"))
    )


async def test_three_processes_share_updates_outbox_and_one_scheduler() -> None:
    async with fresh_database() as url, contextlib.AsyncExitStack() as stack:
        db = Database(url)
        await upgrade(db)
        org = await db.run(lambda session: create_org(Repos(session), "测试规划局", actor="t"))
        assert org.id is not None
        chats = list((await seed_members(db, org.id, MEMBERS)).values())
        await db.dispose()
        fakes = [await stack.enter_async_context(FakeTelegram()) for _ in range(3)]
        for fake in fakes:
            open_chats(fake, chats)
        base = clean_env(MASSLINE_DATABASE_URL=url, MASSLINE_SEND_RATE=str(RATE),
                         MASSLINE_LOG_LEVEL="INFO")  # fmt: skip
        services: list[Service] = []
        try:
            for fake in fakes:  # one at a time: a failed start leaves none running unseen
                env = {**base, "MASSLINE_TELEGRAM_TOKEN": fake.token,
                       "MASSLINE_TELEGRAM_API_URL": fake.url}  # fmt: skip
                services.append(await start(on_port(env, webhook=True)))
            await until(lambda: sum(LEADS in s.log for s in services) == 1, 15, "one leader")
            await until(lambda: sum(STANDS_BY in s.log for s in services) == 2, 15, "two wait")
            # A load balancer's round robin: each process answers what it was sent.
            for index, fake in enumerate(fakes):
                person = fake.user(chats[index], f"成员{index}")
                assert await answers(fake, person, "/help"), f"process {index} did not answer"

            await broadcast_now(base, org.id)
            total = lambda: sum((broadcasts(f) for f in fakes), Counter())  # noqa: E731
            await until(lambda: total().total() >= MEMBERS // 3, 30, "a third sent")
            leader = next(i for i, s in enumerate(services) if LEADS in s.log)
            await services[leader].kill()
            killed_at = time.monotonic()
            survivors = [s for i, s in enumerate(services) if i != leader]
            await until(lambda: len(total()) == MEMBERS, 60, "everyone has it")
            await asyncio.sleep(0.5)  # anything still coming would be a duplicate
            got = total()
            doubled = got.total() - MEMBERS
            shares = [broadcasts(f).total() for f in fakes]
            await until(lambda: any(LEADS in s.log for s in survivors), 30, "a new leader")
            took_over = time.monotonic() - killed_at
            print(f"\nshares of {MEMBERS} sends {shares}; {doubled} sent twice (window "
                  f"{IN_FLIGHT}); scheduler taken over after {took_over:.1f} s")  # fmt: skip
            assert max(got.values()) <= 2 and doubled <= IN_FLIGHT
            assert all(share > 0 for share in shares), "a process sent nothing"
            assert took_over < 30
            assert await outcomes(base) == {"sent": MEMBERS}
        finally:
            await asyncio.gather(*(s.stop() for s in services))
        assert not [s.log for s in services if "Traceback" in s.log]
