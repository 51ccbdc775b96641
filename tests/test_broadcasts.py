"""Broadcasts in the chat as transcripts (issue 4): the dialogue and what it refuses, the
scheduler handing each occurrence to the outbox once, the summary, cancelling."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.broadcasts import broadcast_dues
from handlers.schedule import Report, run_due
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus
from storage.study_models import Broadcast, SchedulerRun
from tests.conftest import Unit
from tests.transcript import Chat

TEXT = "本周五下午3点在三楼会议室集中学习,请准时参加。"


async def _people(unit: Unit) -> Chat:
    admin = await unit.joined("admin", "a1", "周敏")
    for n in range(3):
        await unit.joined("member", f"m{n}", f"成员{n}")
    await unit.joined("cadre", "c1", "刘洋")
    return admin


async def _outbox(unit: Unit) -> list[OutboxMessage]:
    async def read(session: AsyncSession) -> list[OutboxMessage]:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())  # type: ignore[arg-type]

    return await unit.db.run(read)


async def _tick(unit: Unit) -> Report:
    return await run_due(unit.db, unit.services, [broadcast_dues], unit.clock())


async def _deliver_all(unit: Unit) -> None:
    """What the deliverer would do: every queued row sent."""

    async def sent(session: AsyncSession) -> None:
        queued = OutboxMessage.status == OutboxStatus.queued
        await session.exec(update(OutboxMessage).where(queued).values(status="sent"))  # type: ignore[call-overload]

    await unit.db.run(sent)


async def test_a_repeating_broadcast_goes_out_once_per_day_then_reports(
    unit_on_each: Unit,
) -> None:
    unit = unit_on_each
    admin = await _people(unit)
    await admin.say("/broadcast")
    assert "请写下广播内容" in admin.text
    await admin.say("长" * 2001)
    assert "太长" in admin.text and "2001" in admin.text
    await admin.say(TEXT)
    labels = {b.label for b in admin.buttons()}
    assert {"全体成员(5 人)", "党员群众(3 人)", "干部(1 人)", "活动办工作人员(1 人)"} == labels
    await admin.tap("全体成员(5 人)")
    assert "共 5 人" in admin.text and "5 人已绑定" in admin.text
    await admin.say("昨天下午3点")
    assert "已经过去了" in admin.text
    await admin.say("随便什么时候")
    assert "没看懂这个时间" in admin.text
    await admin.say("明天上午9点")  # 26 Nov, 09:00 in Shanghai
    await admin.tap("每天")
    await admin.say("11月20日")
    assert "已经过去了" in admin.text
    await admin.say("今天")
    assert "早于第一次" in admin.text
    await admin.say("11月27日")
    assert "每天,到11月27日" in admin.text and "5 人" in admin.text and TEXT in admin.text
    await admin.tap("确认发送")
    assert "广播 #1 已安排在11月26日" in admin.text

    assert (await _tick(unit)).sent == 0  # not yet
    unit.clock.advance(hours=23)  # 26 Nov 09:00 local
    assert (await _tick(unit)).messages == 5
    assert (await _tick(unit)).messages == 0  # the moment is recorded: never twice
    rows = await _outbox(unit)
    assert len(rows) == 5 and {r.batch for r in rows} == {"broadcast:1:2026-11-26"}
    assert len({r.dedupe_key for r in rows}) == 5 and TEXT in rows[0].payload[0]["text"]

    await admin.say("/broadcast")  # the list, with progress and cancel buttons
    await admin.tap("#1 进度")
    assert "已发送 0 / 5" in admin.text and "待发 5" in admin.text
    await _deliver_all(unit)
    await admin.tap("刷新进度")
    assert "已发送 5 / 5" in admin.text

    await _tick(unit)  # the batch has left the outbox: the sender hears how it went
    summary = [r for r in await _outbox(unit) if r.kind == "bc_summary"]
    assert len(summary) == 1 and "送达 5 人" in summary[0].payload[0]["text"]
    assert await _status(unit, 1) == "scheduled"  # one more day to go

    unit.clock.advance(days=1)
    assert (await _tick(unit)).messages == 5
    await _deliver_all(unit)
    await _tick(unit)
    assert await _status(unit, 1) == "done"
    unit.clock.advance(days=1)
    assert (await _tick(unit)).messages == 0  # the 27th was the last day
    days = Counter(r.batch for r in await _outbox(unit) if r.kind == "broadcast")
    assert days == {"broadcast:1:2026-11-26": 5, "broadcast:1:2026-11-27": 5}


async def test_a_broadcast_now_is_queued_with_its_record_and_can_be_cancelled(
    unit: Unit,
) -> None:
    admin = await _people(unit)
    await admin.say(f"广播 {TEXT}")  # the text can come with the command
    await admin.tap("干部(1 人)")
    await admin.tap("现在发送")
    await admin.tap("只发一次")
    assert "现在" in admin.text and "干部" in admin.text
    await admin.tap("确认发送")
    assert "广播 #1 开始发送,共 1 人" in admin.text
    rows = await _outbox(unit)  # queued in the same transaction as the confirmation
    assert len(rows) == 1 and rows[0].batch == "broadcast:1:2026-11-25"
    assert await _run_keys(unit) == {"broadcast:1:2026-11-25"}
    assert (await _tick(unit)).messages == 0  # the scheduler finds it done
    await admin.tap("刷新进度")
    assert "已发送 0 / 1" in admin.text

    await admin.press("bc:ok")  # a second tap on the old confirmation sends nothing
    assert "没有待确认的广播" in admin.text
    await admin.press("bc:x:1")  # the cancel button under the progress
    assert "确定取消广播 #1 吗" in admin.text
    await admin.tap("确定取消")
    assert "广播 #1 已取消" in admin.text
    assert await _outbox(unit) == []  # what had not gone out will not
    await admin.press("bc:xx:1")
    assert "不能取消" in admin.text


async def test_others_cannot_touch_broadcasts(unit: Unit) -> None:
    admin = await _people(unit)
    await admin.say(f"广播 {TEXT}")
    await admin.tap("全体成员(5 人)")
    await admin.say("明天上午9点")
    await admin.tap("只发一次")
    await admin.tap("确认发送")
    member = unit.chat("m0")
    await member.say("/broadcast")
    assert "不对你的身份开放" in member.text
    await member.press("bc:xx:1")
    assert await _status(unit, 1) == "scheduled"
    for forged in ("999", "9" * 30, "²", "-1", ""):
        await admin.press(f"bc:pg:{forged}")
        assert "没有找到这条广播" in admin.text, forged


async def test_an_occurrence_missed_by_hours_is_skipped_and_the_sender_told(unit: Unit) -> None:
    admin = await _people(unit)
    await admin.say(f"广播 {TEXT}")
    await admin.tap("全体成员(5 人)")
    await admin.say("今天下午3点")
    await admin.tap("只发一次")
    await admin.tap("确认发送")
    unit.clock.advance(hours=10)  # the service was down past the grace window
    report = await _tick(unit)
    assert report.skipped == 1 and report.messages == 0
    await _tick(unit)
    (summary,) = [r for r in await _outbox(unit) if r.kind == "bc_summary"]
    assert "没有发出" in summary.payload[0]["text"]
    assert await _status(unit, 1) == "done"


async def test_two_schedulers_on_one_database_hand_a_moment_over_once(
    unit_on_each: Unit,
) -> None:
    unit = unit_on_each
    admin = await _people(unit)
    await admin.say(f"广播 {TEXT}")
    await admin.tap("全体成员(5 人)")
    await admin.say("今天下午3点")
    await admin.tap("只发一次")
    await admin.tap("确认发送")
    unit.clock.advance(hours=5, minutes=1)  # 15:01 local
    other = Database(unit.db.url, schema=unit.db.schema)  # another process's engine
    try:
        reports = await asyncio.gather(
            *(run_due(db, unit.services, [broadcast_dues], unit.clock()) for db in (unit.db, other))
        )
    finally:
        await other.dispose()
    assert sorted(r.messages for r in reports) == [0, 5]
    assert len([r for r in await _outbox(unit) if r.kind == "broadcast"]) == 5
    assert await _run_keys(unit) == {"broadcast:1:2026-11-25"}


async def _status(unit: Unit, broadcast_id: int) -> str:
    async def read(session: AsyncSession) -> str:
        row = await session.get(Broadcast, broadcast_id)
        assert row is not None
        return row.status

    return await unit.db.run(read)


async def _run_keys(unit: Unit) -> set[str]:
    async def read(session: AsyncSession) -> set[str]:
        return set((await session.exec(select(SchedulerRun.key))).all())

    return await unit.db.run(read)
