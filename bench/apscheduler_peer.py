"""The peer of target 6, in a process of its own: one APScheduler job per reminder.

``python -m bench.apscheduler_peer DATABASE_URL AT`` reads every (session, expected member)
pair of the sessions whose reminder falls at AT (a POSIX time), adds one date job per pair
to an in-memory AsyncIOScheduler with the library's defaults (misfire grace 1 s), and each
job hands its reminder to the outbox in a transaction of its own, as a service built on
one job per reminder would. It prints one JSON line: when each job fired and when its row
was committed (POSIX times), and how many APScheduler reported missed.
"""

# ruff: noqa: ASYNC110  (polling what another process does: there is no event to wait on)

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from datetime import UTC, datetime

from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import col, select

from handlers.messages import Text, to_json
from storage.db import Database
from storage.models import Member
from storage.outbox import OutboxRepo
from storage.study_models import StudySession

KIND = "peer_reminder"


async def main(url: str, at: float) -> None:
    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # not a line per missed job
    db = Database(url)
    when = datetime.fromtimestamp(at, UTC)

    async def pairs(session: object) -> list[tuple[int, int, str]]:
        query = (
            select(StudySession.id, Member.id, StudySession.title)
            .join(Member, col(Member.org_id) == StudySession.org_id)
            .where(col(Member.active))
        )
        return [tuple(r) for r in (await session.exec(query)).all()]  # type: ignore[attr-defined]

    work = await db.run(pairs)  # type: ignore[arg-type]
    fired: list[float] = []
    handed: list[float] = []
    missed = 0

    async def remind(session_id: int, member_id: int, title: str) -> None:
        fired.append(time.time())
        payload = to_json([Text(f"{title}: 一小时后开始")])

        async def enqueue(session: object) -> None:
            await OutboxRepo(session).enqueue(  # type: ignore[arg-type]
                member_id, KIND, payload, dedupe_key=f"peer:{session_id}:{member_id}"
            )

        await db.run(enqueue)  # type: ignore[arg-type]
        handed.append(time.time())

    def on_missed(_event: object) -> None:
        nonlocal missed
        missed += 1

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.add_listener(on_missed, EVENT_JOB_MISSED)
    for session_id, member_id, title in work:
        scheduler.add_job(remind, "date", run_date=when, args=(session_id, member_id, title))
    scheduler.start()
    print("READY", file=sys.stderr, flush=True)
    deadline = at + 120
    while len(handed) + missed < len(work) and time.time() < deadline:
        await asyncio.sleep(0.2)
    scheduler.shutdown(wait=False)
    await db.dispose()
    print(json.dumps({"jobs": len(work), "fired": fired, "handed": handed, "missed": missed}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
