"""A broadcast through a Bot API that misbehaves at random, and a service killed with
kill -9 at random moments and started again (issue 10, faults): real ``python -m bot run``
processes on one SQLite file, the fake Bot API in this process drawing, for each send,
5% 429 (retry_after 1 s), 1% 500, 0.5% sent-but-answer-lost, 2% slow answers (0.2–2 s),
and 2% of the people having blocked the bot (403).

It holds when: every reachable member got the message; duplicates are no more than the
lost answers plus the in-flight window per kill; nobody is sent anything after their 403
(unless the process that heard the 403 was killed before it could record it: at most the
in-flight window per kill); no request is sent during a retry_after pause (those that
arrive in one left before the service had read the 429, so no pause sees more than the
in-flight window less one); no second holds more requests than MASSLINE_SEND_RATE, and
no chat two within a second.

The figures are printed; `make reliability` runs it with 10,000 members and five kills
and writes them into RELIABILITY.md:

    MASSLINE_RELIABILITY_MEMBERS=10000 MASSLINE_RELIABILITY_KILLS=5 \
        .venv/bin/python -m pytest tests/test_fault_broadcast.py -s
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from pathlib import Path

from bench.report import machine
from bot.delivery import IN_FLIGHT
from tests.fakes.telegram_chaos import Chaos
from tests.fault_figures import Kill, broadcast_figures, write_section
from tests.fault_writers import launch
from tests.test_delivery_crash import (
    TEXT,
    Service,
    campaign,
    cli,
    deliveries,
    on_port,
    outcomes,
    until,
)
from tests.test_delivery_support import FIRST_CHAT

MEMBERS = int(os.environ.get("MASSLINE_RELIABILITY_MEMBERS", "600"))
KILLS = int(os.environ.get("MASSLINE_RELIABILITY_KILLS", "2"))
SEED = int(os.environ.get("MASSLINE_RELIABILITY_SEED", "20261125"))
RATE = 300
MIX = {"flood": 0.05, "blocked": 0.02, "server_error": 0.01, "lost": 0.005, "slow": 0.02}


async def test_a_broadcast_through_random_faults_and_kills(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    moments = sorted(round(rng.uniform(0.05, 0.9) * MEMBERS) for _ in range(KILLS))
    within = 120 + MEMBERS * 0.12  # a 1 s pause per 20 requests, and the restarts
    async with campaign(tmp_path, MEMBERS) as (fake, env, org_id):
        env = on_port({**env, "MASSLINE_SEND_RATE": str(RATE)})
        chaos = fake.unleash(Chaos(SEED, **MIX))
        started = time.monotonic()
        # The service first: a service starting during the broadcast's insert of thousands
        # of rows dies on "database is locked" at its migration check (RELIABILITY.md).
        service = await launch(env)
        created = await cli(env, "broadcast", "--org", org_id, "--text", TEXT)
        assert created["queued"] == MEMBERS
        logs, kills = [], []
        try:
            for moment in moments:
                await until(lambda m=moment, s=service: alive(s) and deliveries(fake).total() >= m,
                            within, "progress")  # fmt: skip
                await service.kill()
                kills.append(Kill(time.monotonic(), deliveries(fake).total()))
                logs.append(service.log)
                service = await launch(env)
            await until(lambda: alive(service) and len(deliveries(fake)) + len(
                chaos.blocked_chats) >= MEMBERS, within, "everyone has it")  # fmt: skip
            await until_settled(env, within)
            await asyncio.sleep(1.0)  # anything still coming would be a duplicate
        finally:
            await service.stop()
            logs.append(service.log)
        seconds = time.monotonic() - started
        chats = range(FIRST_CHAT, FIRST_CHAT + MEMBERS)
        figures = broadcast_figures(fake.calls, chaos, TEXT, members=chats, kills=kills,
                                    seconds=seconds, in_flight=IN_FLIGHT)  # fmt: skip
        rows = await outcomes(env)
    table = figures.table(RATE)
    print(f"\n{table}")
    assert not figures.missing, f"{len(figures.missing)} reachable members got nothing"
    assert rows == {"sent": MEMBERS - len(figures.blocked), "unreachable": len(figures.blocked)}
    assert figures.duplicates <= figures.duplicate_bound
    assert figures.after_refusal == []
    assert len(figures.refusal_died) <= IN_FLIGHT * len(kills)
    assert max(figures.in_pauses) < IN_FLIGHT  # none sent after the service had the 429
    assert figures.busiest_second <= RATE
    assert figures.closest_to_one_chat >= 1.0
    assert all(figures.faults[kind] for kind in ("flood", "server_error", "lost", "slow"))
    assert not [log for log in logs if "Traceback" in log]
    write_section("broadcast", f"{machine()}\n\nSeed {SEED}, sending rate {RATE}/s.\n\n{table}")


def alive(service: Service) -> bool:
    assert service.proc.returncode is None, f"the service died:\n{service.log[-3000:]}"
    return True


async def until_settled(env: dict[str, str], within: float) -> None:
    """Until no row of the broadcast is left queued."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while "queued" in await outcomes(env):
        assert loop.time() < deadline, "rows still queued"
        await asyncio.sleep(0.5)
