"""Due moments handed to the outbox at their time, many per transaction (issue 9, target 6):
the scheduler sleeps until the next moment rather than to its next tick; moments share
transactions, each in a savepoint, so one that fails rolls back alone and comes again;
a fan-out to thousands is a few statements."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlmodel import col, func, select

from bot.scheduler import Scheduler
from handlers.context import Context
from handlers.messages import Text
from handlers.schedule import GROUP_MESSAGES, GROUP_MOMENTS, Due, Source, run_due
from storage.db import Database
from storage.models import Member, OutboxMessage
from storage.repos import Repos
from storage.study_models import SchedulerRun, StudySession
from storage.types import utcnow
from tests.conftest import Unit
from tests.test_delivery_support import seed_members


async def _members(unit: Unit, count: int) -> list[Member]:
    await seed_members(unit.db, unit.org_id, count)

    async def read(session: object) -> list[Member]:
        query = select(Member).where(Member.org_id == unit.org_id).order_by(col(Member.id))
        return list((await session.exec(query)).all())  # type: ignore[attr-defined]

    return await unit.db.run(read)


def _reminder(members: list[Member], key: str, *, fails: bool = False) -> Due:
    async def fan_out(ctx: Context, late: bool) -> int:
        pushes = [(m, [Text(f"提醒 {key}")]) for m in members]
        queued = await ctx.push_many(pushes, kind="test_reminder", dedupe=key)
        if fails:
            raise RuntimeError("a fan-out that breaks half-way")
        return queued

    return Due(key, datetime.min, fan_out)


def _source(moments: Sequence[Due], at: datetime) -> Source:
    async def source(db: Repos, start: datetime, end: datetime) -> list[Due]:
        return [Due(d.key, at, d.fan_out) for d in moments if start <= at <= end]

    return source


async def _queued(db: Database) -> dict[str, int]:
    """Queued test reminders by moment (their dedupe keys are ``{moment}:{member}``)."""

    async def read(session: object) -> dict[str, int]:
        query = select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "test_reminder")
        keys = (await session.exec(query)).all()  # type: ignore[attr-defined]
        return dict(Counter(key.split(":")[0] for key in keys))

    return await db.run(read)


async def _runs(db: Database) -> dict[str, int]:
    async def read(session: object) -> dict[str, int]:
        rows = (await session.exec(select(SchedulerRun))).all()  # type: ignore[attr-defined]
        return {r.key: r.recipients for r in rows}

    return await db.run(read)


async def test_one_failing_moment_rolls_back_alone_and_comes_again(unit_on_each: Unit) -> None:
    unit = unit_on_each
    people = await _members(unit, 30)
    now = unit.clock()
    good, bad = _reminder(people, "a"), _reminder(people, "b", fails=True)
    later = _reminder(people, "c")
    source = _source([good, bad, later], now - timedelta(seconds=3))
    report = await run_due(unit.db, unit.services, [source], now)
    assert (report.sent, report.messages) == (2, 60)
    assert await _queued(unit.db) == {"a": 30, "c": 30}  # b's rows went with its savepoint
    assert await _runs(unit.db) == {"a": 30, "c": 30}  # and so did its record
    mended = _source([good, _reminder(people, "b"), later], now - timedelta(seconds=3))
    again = await run_due(unit.db, unit.services, [mended], now + timedelta(seconds=5))
    assert (again.sent, again.messages) == (1, 30)  # only b, once
    assert await _queued(unit.db) == {"a": 30, "b": 30, "c": 30}


async def test_many_moments_few_transactions_each_once(unit_on_each: Unit) -> None:
    unit = unit_on_each
    people = await _members(unit, 40)
    moments = [_reminder(people, f"m{i}") for i in range(GROUP_MOMENTS + 60)]
    moments.append(_reminder(people * (GROUP_MESSAGES // 40 + 1), "big"))  # the same 40
    source = _source(moments, unit.clock() - timedelta(seconds=1))
    commits = []
    event.listen(unit.db.engine.sync_engine, "commit", lambda conn: commits.append(1))
    report = await run_due(unit.db, unit.services, [source], unit.clock())
    assert report.sent == len(moments)
    assert len(commits) <= 1 + 8440 // GROUP_MESSAGES + 2  # a read, then a few groups
    queued = await _queued(unit.db)
    assert len(queued) == len(moments) and set(queued.values()) == {40}  # deduplicated
    assert (await run_due(unit.db, unit.services, [source], unit.clock())).sent == 0


async def test_the_scheduler_wakes_at_the_moment_not_at_its_tick(unit: Unit) -> None:
    """A study session's reminder an hour before its start, due 1.5 s from now, with the
    scheduler's tick at 30 s: it is queued at its moment."""
    await _members(unit, 5)
    due_at = utcnow() + timedelta(seconds=1.5)

    async def plan(session: object) -> None:
        repos = Repos(session)  # type: ignore[arg-type]
        org = await repos.orgs.get(unit.org_id)
        assert org is not None
        org.remind_day_before_at, org.remind_minutes_before = "", 60
        starts = due_at + timedelta(minutes=60)
        ends = starts + timedelta(hours=1)
        session_row = StudySession(
            org_id=unit.org_id, title="党章", starts_at=starts, ends_at=ends, checkin_secret="s"
        )
        repos.session.add(session_row)

    await unit.db.run(plan)
    unit.services.clock = utcnow
    scheduler = Scheduler(unit.db, unit.services, tick=30.0)
    await scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while not await _reminders(unit.db):
            assert time.monotonic() < deadline, "not queued within 10 s (its tick is 30 s)"
            await asyncio.sleep(0.02)
        late = (utcnow() - due_at).total_seconds()
    finally:
        await scheduler.stop()
    print(f"\nqueued {late:.3f} s after its moment, with a 30 s tick")
    assert 0 <= late < 1.0
    assert await _reminders(unit.db) == 5


async def _reminders(db: Database) -> int:
    async def count(session: object) -> int:
        query = select(func.count()).where(OutboxMessage.kind == "study_reminder")
        return int((await session.exec(query)).one())  # type: ignore[attr-defined]

    return await db.run(count)
