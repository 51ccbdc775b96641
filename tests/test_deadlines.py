"""Deadlines: the office sets one, members see what they owe and hand it in in one place,
reminders reach only those who still owe, and the office sees and exports who has not."""

from __future__ import annotations

import io

from handlers.messages import Attachment, File
from handlers.registry import DUE_SOURCES
from handlers.schedule import run_due
from tests.conftest import Demo


async def create_deadline(
    demo: Demo, due: str = "2026-12-01 18:00", audience: str = "全体"
) -> None:
    office = await demo.person("admin", "a1")
    await office.say("截止管理")
    await office.tap("新建")
    await office.say("领导班子成员对照检查材料")
    await office.tap("对照检查材料")
    await office.say(due)
    assert "已建立" in await office.tap(audience), office.text


async def test_office_creates_member_hands_in(demo: Demo) -> None:
    await create_deadline(demo)
    member = await demo.person("member", "m1")
    owed = await member.say("截止")
    assert "领导班子成员对照检查材料" in owed and "未提交" in owed and "12月1日 18:00" in owed
    assert "请提交" in await member.tap("提交:领导班子成员对照检查材料")
    await member.say("一、查摆的问题……")
    await member.send_file(Attachment("file", "doc-1", "对照检查.docx"))
    assert "已提交" in await member.tap("完成")
    assert "已提交" in await member.say("截止")
    assert not member.buttons()


async def test_reminders_only_to_those_who_still_owe(demo: Demo) -> None:
    await create_deadline(demo, due="2026-11-29 18:00")  # today is 11-25 (Shanghai)
    member = await demo.person("member", "m1")
    await member.say("截止")
    await member.tap("提交:领导班子成员对照检查材料")
    await member.say("已写好。")
    await member.tap("完成")
    demo.clock.now = demo.clock.now.replace(day=26, hour=1, minute=0, second=30)  # 09:00:30 local
    report = await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    reminders = [r for r in await demo.outbox() if r[1] == "deadline_reminder"]
    members = await demo.db.run(lambda s: _count_members(s))
    assert report.sent == 1 and len(reminders) == members - 1  # everyone but the one who did
    again = await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    assert again.sent == 0 and again.messages == 0  # never twice


async def test_downtime_beyond_grace_is_skipped_not_sent(demo: Demo) -> None:
    await create_deadline(demo, due="2026-11-29 18:00")
    demo.clock.now = demo.clock.now.replace(day=26, hour=3)  # 11:00 local: two hours late
    report = await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    assert (report.sent, report.late, report.skipped) == (0, 0, 1)
    demo.clock.now = demo.clock.now.replace(day=28, hour=1, minute=30)  # 09:30: late but in grace
    report = await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    assert (report.sent, report.late, report.skipped) == (0, 1, 0)
    assert all(
        "补发" in text for _, kind, text in await demo.outbox() if kind == "deadline_reminder"
    )


async def test_office_sees_who_owes_and_exports(demo: Demo) -> None:
    from openpyxl import load_workbook

    await create_deadline(demo, audience="领导班子")
    office = await demo.person("admin", "a1")
    listing = await office.say("截止管理")
    assert "0 / 4" in listing  # four leaders, none handed in
    view = await office.tap("#1")
    assert "王立新" in view and "赵晓雪" not in view
    await office.tap("导出 Excel")
    file = next(r for r in office.last if isinstance(r, File))
    sheet = load_workbook(io.BytesIO(file.data)).active
    names = [row[0].value for row in sheet.iter_rows(min_row=3)]
    assert "王立新" in names and len(names) == 4
    await office.say("截止管理")
    await office.tap("#1")
    assert "已取消" in await office.tap("取消此事项")
    member = await demo.person("leader", "l1")
    assert "没有要交的" in await member.say("截止")


async def test_bad_input(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await office.say("截止管理")
    await office.tap("新建")
    assert "1 到 200" in await office.say("长" * 201)
    await office.say("心得体会")
    await office.tap("心得体会")
    assert "没看懂" in await office.say("等有空再说")
    assert "已经过去" in await office.say("2020-01-01 09:00")
    await office.say("2026-12-01 18:00")
    await office.tap("全体")
    member = await demo.person("member", "m1")
    assert "没有找到" in await member.press("dl:sub:abc")
    assert "没有找到" in await member.press("dl:sub:999")
    assert "没有待保存" in await member.press("dl:done")
    assert "不对你的身份开放" in await member.say("截止管理")
    demo.clock.advance(days=7)
    await member.say("截止")
    assert "没有要交" in member.text  # past deadlines are no longer owed
    assert "过了截止时间" in await member.press("dl:sub:1")


async def test_reflection_is_voluntary(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    assert "自愿" in await member.say("心得")
    await member.say("学习了党章,体会很深。")
    assert "心得已保存" in await member.tap("完成")
    assert "没有要交" in await member.say("截止")


async def _count_members(session: object) -> int:
    from sqlmodel import func, select

    from storage.models import Member, Organization

    query = (
        select(func.count())
        .select_from(Member)
        .join(Organization)
        .where(Organization.is_demo, Member.active)
    )
    return (await session.exec(query)).one()  # type: ignore[attr-defined]
