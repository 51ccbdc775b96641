"""PostgreSQL failing under the service while members write (issue 10, database faults),
with ``python -m bot run`` against it and the fake Bot API:

- every connection of the service killed with ``pg_terminate_backend``, again and again,
  on the shared test server (in a database of the test's own, so nothing else is
  touched): the service recovers each time by itself;
- the server itself crashed (``pg_ctl stop -m immediate``) and started again some seconds
  later, on a throwaway server of the test's own (tests/pg_cluster.py; the shared one
  is not ours to restart): members are told plainly while it is down, and the service
  takes writes again once it is back, without a restart of its own.

Both hold when: every write whose success reply reached the member is there; no member
is shown an internal error; the service process is the one started at the beginning.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from storage.db import Database
from storage.migrate import upgrade
from tests.databases import postgres_url
from tests.fakes import FakeTelegram
from tests.fault_figures import write_section
from tests.fault_writers import Told, Writer, build_scene, launch, leaks, present_pg, shown
from tests.pg_cluster import throwaway_cluster
from tests.test_cli import clean_env
from tests.test_delivery_crash import Service, on_port

ROUNDS, EVERY = 6, 1.0  # terminations, seconds apart
DOWN = 2.0  # seconds the crashed server stays down


async def test_terminated_connections_are_recovered_without_a_restart() -> None:
    base = postgres_url()
    name = f"massline_faults_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{base.rsplit('/', 1)[0]}/{name}"
    terminated: list[int] = []
    try:
        async with writing(url) as (service, told, texts):
            for _ in range(ROUNDS):
                await asyncio.sleep(EVERY)
                terminated.append(await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()", name,
                ))  # fmt: skip
            last = time.monotonic()
            await asyncio.sleep(EVERY * 2)
        found = await present_pg(url, told)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    figures = _check(service, told, found, texts, since=last)
    assert sum(terminated) >= ROUNDS  # the service's connections were there, and were cut
    text = (f"`pg_terminate_backend` of all the service's connections {ROUNDS} times, "
            f"{EVERY:g} s apart ({sum(terminated)} connections cut) while 8 members wrote. "
            f"{figures}")  # fmt: skip
    print(f"\n{text}")
    write_section("postgres-terminate", text)


async def test_a_postgres_crash_and_restart_under_load() -> None:
    async with throwaway_cluster() as cluster:
        async with writing(cluster.url) as (service, told, texts):
            await asyncio.sleep(2.0)
            cluster.crash()
            down = time.monotonic()
            await asyncio.sleep(DOWN)
            cluster.start()
            back = time.monotonic()
            await asyncio.sleep(4.0)
        found = await present_pg(cluster.url, told)
    during = [k for k in told.busy if down <= told.heard[k]]
    figures = _check(service, told, found, texts, since=back)
    assert during, "nobody wrote while the server was down: the test proves nothing"
    text = (f"PostgreSQL crashed (`pg_ctl stop -m immediate`) under writes, started again "
            f"{back - down:.1f} s later, on a server of the test's own. {figures}")  # fmt: skip
    print(f"\n{text}")
    write_section("postgres-restart", text)


@asynccontextmanager
async def writing(url: str) -> AsyncIterator[tuple[Service, Told, list[str]]]:
    """A migrated database at ``url``, the service on it, and members writing to it
    until the block ends; then the list holds every message the bot sent them."""
    db = Database(url)
    await upgrade(db)
    async with FakeTelegram() as fake:
        scene = await build_scene(db, fake, 6, 2)
        await db.dispose()
        env = on_port(clean_env(
            MASSLINE_DATABASE_URL=url, MASSLINE_TELEGRAM_TOKEN=fake.token,
            MASSLINE_TELEGRAM_API_URL=fake.url, MASSLINE_TELEGRAM_BOT_USERNAME=fake.username,
        ))  # fmt: skip
        told, stop = Told(), asyncio.Event()
        service = await launch(env)
        chats = [*scene.members, *scene.cadres]
        writers = [Writer(fake.user(chat, f"成员{chat}"), scene, told, 15.0) for chat in chats]
        tasks = [asyncio.create_task(w.run(stop)) for w in writers]
        texts: list[str] = []
        try:
            yield service, told, texts
            stop.set()
            await asyncio.gather(*tasks)
            assert service.proc.returncode is None, "the service died"
            texts += shown(fake, chats)
        finally:
            stop.set()
            await service.stop()


def _check(
    service: Service, told: Told, found: dict[str, int], texts: list[str], *, since: float
) -> str:
    """The checks both share; a sentence of figures."""
    lost = [k for k in told.confirmed if found[k] == 0]
    after = [k for k in told.confirmed if told.heard[k] > since]
    saved_anyway = Counter(told.busy[k] for k in told.busy if found[k])
    twice = Counter(told.confirmed[k] for k in told.confirmed if found[k] > 1)
    assert lost == [], f"confirmed but missing: {lost}"
    errors = [line for line in service.log.splitlines() if " ERROR " in line]
    assert leaks(texts) == [], f"{len(leaks(texts))} internal errors shown; the log:\n{errors}"
    assert after, "no write was confirmed after the fault: the service did not recover"
    assert service.log.count("telegram: @") == 1  # one start: it recovered by itself
    return (f"Writes tried: {sum(told.tried.values())}; confirmed: {len(told.confirmed)}, "
            f"all present ({_kinds(twice)} written twice); confirmed after the last "
            f"fault: {len(after)}; the \"busy, nothing saved\" apology: {len(told.busy)} "
            f"(present after all: {_kinds(saved_anyway)}); no answer: "
            f"{len(told.unanswered)}; internal errors shown: 0; service restarts: 0.")  # fmt: skip


def _kinds(counts: Counter[str]) -> str:
    if not counts:
        return "none"
    return ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
