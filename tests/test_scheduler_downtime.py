"""The service is down across several due reminders, then two processes start again at
once (issue 10, scheduler): the grace rule holds to the minute — a reminder missed by up
to GRACE goes out late, once, and says so; one missed by more is recorded as skipped and
never sent; none goes out twice, whichever process meets it first.

(One late and one skipped reminder at a time: tests/test_study_reminders.py and
tests/test_deadlines.py; two schedulers racing for one broadcast: tests/test_broadcasts.py.)
"""

from __future__ import annotations

import asyncio

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import study
from handlers.schedule import GRACE, ON_TIME, run_due
from storage.db import Database
from storage.study_models import SchedulerRun
from tests.conftest import Demo
from tests.test_study_support import (  # noqa: F401  (fixtures: study_registered, the demo)
    add_session,
    clean_demo,
    pushes,
    remind,
    set_clock,
    study_registered,
)

# Each session's "soon" reminder comes an hour before its start; down from 18:01 the day
# before until 11:01, the reminders of 09:00 … 11:00 were all missed.
STARTS = {"10:00": "skipped", "11:00": "skipped", "11:01": "late", "11:40": "late",
          "12:00": "sent", "12:30": "not yet"}  # fmt: skip
RESTART = "2026-11-26 11:01"


async def test_downtime_across_several_reminders_then_two_processes(demo: Demo) -> None:
    assert (GRACE.total_seconds(), ON_TIME.total_seconds()) == (3600, 120)  # as read below
    set_clock(demo, "2026-11-25 10:00")
    ids = {start: await add_session(demo, f"集中学习{start}", f"2026-11-26 {start}",
                                    "2026-11-26 16:30") for start in STARTS}  # fmt: skip
    set_clock(demo, "2026-11-25 18:00")
    eve = await remind(demo)
    assert eve.sent == len(STARTS)  # the evening before: on time, then the service stops
    audience = eve.messages // len(STARTS)
    before = len(await pushes(demo, kind="study_reminder"))
    set_clock(demo, RESTART)
    other = Database(demo.db.url)  # the second process's engine
    try:
        reports = await asyncio.gather(
            *(run_due(db, demo.services, [study.session_reminders], demo.clock())
              for db in (demo.db, other))
        )  # fmt: skip
    finally:
        await other.dispose()
    assert (sum(r.sent for r in reports), sum(r.late for r in reports),
            sum(r.skipped for r in reports)) == (1, 2, 2)  # fmt: skip
    runs = await _runs(demo)
    for start, outcome in STARTS.items():
        soon = [run for key, run in runs.items() if key.startswith(f"session:{ids[start]}:")
                and key.endswith(":soon")]  # fmt: skip
        if outcome == "not yet":
            assert soon == []
            continue
        (run,) = soon
        assert run.outcome == outcome, start
        assert (run.recipients or 0) == (0 if outcome == "skipped" else audience), start
    after = [p for p in await pushes(demo, kind="study_reminder")][before:]
    assert len(after) == 3 * audience  # 11:01, 11:40 late; 12:00 on time; nothing else
    late = [text for *_, text, _ in after if "晚发了" in text]
    assert len(late) == 2 * audience
    assert all("集中学习11:00" not in t and "集中学习10:00" not in t for *_, t, _ in after)
    set_clock(demo, "2026-11-26 11:02")  # the next pass, and a restart after it: nothing
    assert (await remind(demo)).messages == 0
    set_clock(demo, "2026-11-26 11:30")
    report = await remind(demo)
    assert (report.sent, report.late, report.skipped, report.messages) == (1, 0, 0, audience)


async def _runs(demo: Demo) -> dict[str, SchedulerRun]:
    async def read(session: AsyncSession) -> dict[str, SchedulerRun]:
        query = select(SchedulerRun).where(col(SchedulerRun.key).startswith("session:"))
        return {run.key: run for run in (await session.exec(query)).all()}

    return await demo.db.run(read)
