"""The democratic life meeting (民主生活会): the office schedules it with its participants,
whose criticism outlines are due before it and reviewed by the main leader (no surprise
attacks); reminders reach only those concerned; afterwards the minutes, the problems
raised put on the problem list, and the satisfaction rating for the audience chosen."""

from __future__ import annotations

from typing import Any

from storage.study_models import Deadline
from tests.conftest import Demo
from tests.test_examine_support import (  # noqa: F401  (fixtures: registration, demo, rating)
    examine_registered,
    meetings,
    member_id,
    overseen_demo,
    person,
    rating_stub,
    rows_of,
    scheduler,
)
from tests.test_study_support import pushes, set_clock
from tests.transcript import Chat


async def schedule(office: Chat, when: str = "2026-12-10 9:00", due: str = "会前3天") -> str:
    await office.say("民主生活会")
    await office.tap("安排民主生活会")
    await office.tap("专题民主生活会")
    await office.say(when)
    await office.say("局党组会议室")
    await office.tap("确定")
    return await office.tap(due)


async def test_schedule_outlines_and_review(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    assert "还没有安排" in await office.say("民主生活会")
    await office.tap("安排民主生活会")
    await office.tap("专题民主生活会")
    assert "局党组会议室" not in await office.say("2026-12-10 9:00")
    people = await office.say("局党组会议室")
    assert "已选 4 人" in people
    assert [b.label for b in office.buttons()][:4] == [
        "✓ 王立新",
        "✓ 陈建国",
        "✓ 林秀英",
        "✓ 吴海燕",
    ]
    assert "已选 3 人" in await office.tap("✓ 吴海燕")
    assert "已选 4 人" in await office.tap("□ 吴海燕")
    await office.tap("确定")
    shown = await office.tap("会前3天")
    assert "通知了 4 位参会同志" in shown and "12月10日 09:00" in shown
    assert "批评意见提纲:12月7日 18:00前提交" in shown and "陈建国:未交" in shown
    notices = await pushes(demo, kind="meeting_notice")
    assert sorted(n for n, *_ in notices) == ["吴海燕", "林秀英", "王立新", "陈建国"]
    [meeting] = await meetings(demo)
    assert notices[0][3] == [f"dl:sub:{meeting.outline_deadline_id}"]

    chen = await demo.person("leader", "l1")
    assert "请提交" in await chen.press(notices[0][3][0])
    await chen.say("对林秀英同志:下基层调研次数少……")
    await chen.tap("完成")
    await scheduler(demo)
    [(to, _, text, _)] = await pushes(demo, kind="report_review")
    assert to == "王立新" and "批评意见提纲(专题民主生活会)" in text
    wang = await person(demo, "王立新", "w1")
    view = await wang.say("民主生活会")
    assert "陈建国:待审阅" in view and "谈心谈话情况" in [b.label for b in wang.buttons()]
    await wang.tap("审阅:陈建国")
    assert "退回:轻描淡写" in [b.label for b in wang.buttons()]
    await wang.tap("审阅通过")
    assert "陈建国:审阅通过" in await chen.say("民主生活会")
    assert "提交批评提纲" not in [b.label for b in chen.buttons()]


async def test_reminders_before_the_meeting(demo: Demo) -> None:
    await schedule(await demo.person("admin", "a1"))
    lin = await person(demo, "林秀英", "x1")
    await lin.press(f"dl:sub:{(await meetings(demo))[0].outline_deadline_id}")
    await lin.say("对陈建国同志的批评意见……")
    await lin.tap("完成")
    set_clock(demo, "2026-12-03 09:00")
    demo.clock.advance(seconds=30)
    await scheduler(demo)
    talk = await pushes(demo, kind="talk_reminder")
    assert len(talk) == 11 and "赵晓雪" not in {n for n, *_ in talk}
    set_clock(demo, "2026-12-09 09:00")
    await scheduler(demo)
    [(to, _, text, buttons)] = await pushes(demo, kind="review_reminder")
    assert to == "王立新" and "还有 1 份批评意见提纲等你审阅" in text
    assert buttons[0].startswith("ex:rv:")
    await scheduler(demo)
    assert len(await pushes(demo, kind="review_reminder")) == 1  # once


async def test_after_the_meeting(demo: Demo, rating: list[dict[str, Any]]) -> None:
    office = await demo.person("admin", "a1")
    await schedule(office)
    [meeting] = await meetings(demo)
    assert "还没有召开" in await office.press(f"ex:mmin:{meeting.id}")
    set_clock(demo, "2026-12-10 12:00")
    assert "请先记录会议纪要" in await office.press(f"ex:msv:{meeting.id}")
    await office.say("民主生活会")
    assert "开展满意度测评" not in [b.label for b in office.buttons()]
    await office.tap("记录会议纪要")
    assert "共 17 字" in await office.say("王立新同志首先代表班子作对照检查。")
    await office.say("班子成员逐一开展批评和自我批评。")
    assert "会议纪要已保存" in await office.tap("完成")
    await office.tap("问题列入清单")
    await office.say("会议多、文件多,基层负担重")
    added = await office.tap("形式主义")
    assert "已列入问题清单 #" in added and "基层负担重" in added
    assert "会议多、文件多" in await office.tap("据此建立整改事项")  # the ledger takes it on
    await office.say("/cancel")
    await office.say("民主生活会")
    await office.tap("开展满意度测评")
    assert "已开启" in await office.tap("干部职工(不含班子成员)")
    assert rating == [
        {"org": demo.org_id, "audience": {"roles": ["member", "cadre"]},
         "title": "专题民主生活会满意度测评"}
    ]  # fmt: skip
    assert (await meetings(demo))[0].survey_id is not None
    assert "已经开启过了" in await office.press(f"ex:msv:{meeting.id}")
    view = await office.say("民主生活会")
    assert "会议纪要:已记录" in view and "满意度测评:已开启" in view


async def test_bad_input(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    assert "不对你的身份开放" in await member.say("民主生活会")
    chen = await demo.person("leader", "l1")
    assert "还没有安排" in await chen.say("民主生活会") and not chen.buttons()
    assert "不对你的身份开放" in await chen.press("ex:mnew")
    office = await demo.person("admin", "a1")
    await office.say("民主生活会")
    await office.tap("安排民主生活会")
    assert "1 到 200" in await office.say("会" * 201)
    await office.say("专题民主生活会")
    assert "请写上开会的时间" in await office.say("12月10日")
    assert "已经过去" in await office.say("2020-01-01 9:00")
    await office.say("2026-11-26 15:00")  # tomorrow
    assert "1 到 300" in await office.say("地" * 301)
    await office.press("ex:mskip")
    for name in ("✓ 陈建国", "✓ 林秀英", "✓ 吴海燕"):
        await office.tap(name)
    assert "至少要 2 位" in await office.tap("确定")
    assert "已选 1 人" in await office.say("都去")  # typing here shows the choices again
    supervisor = await member_id(demo, "许振华")
    assert "只能从领导班子成员里选" in await office.press(f"ex:mp:{supervisor}")
    await office.press(f"ex:mp:{await member_id(demo, '陈建国')}")
    await office.tap("确定")
    assert "已经过去" in await office.tap("会前3天")
    assert "要在会前" in await office.say("2026-11-27 9:00")
    assert await meetings(demo) == [] and await rows_of(demo, Deadline) == []
    created = await office.say("2026-11-26 12:00")
    assert "通知了 2 位参会同志" in created and "地点:—" in created
    assert "已经结束" in await office.press("ex:mok")


async def test_the_rating_is_a_real_satisfaction_survey(demo: Demo) -> None:
    """Through the surveys feature's own template (handlers/surveys), not the stub."""
    from sqlmodel import select

    from storage.examine_models import Survey, SurveyQuestion

    office = await demo.person("admin", "a1")
    await schedule(office)
    set_clock(demo, "2026-12-10 12:00")
    [meeting] = await meetings(demo)
    await office.press(f"ex:mmin:{meeting.id}")
    await office.say("会议纪要。")
    await office.tap("完成")
    await office.tap("开展满意度测评")
    assert "将推送给 6 人" in await office.tap("中层干部")

    async def read(session: Any) -> tuple[Survey, list[SurveyQuestion]]:
        survey = (await session.exec(select(Survey))).one()
        query = select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id)
        return survey, list((await session.exec(query)).all())

    survey, questions = await demo.db.run(read)
    assert survey.template == "satisfaction" and survey.audience == {"roles": ["cadre"]}
    assert questions and survey.id == (await meetings(demo))[0].survey_id


async def test_only_the_participants_owe_an_outline(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await office.say("民主生活会")
    await office.tap("安排民主生活会")
    await office.tap("专题民主生活会")
    await office.say("2026-12-10 9:00")
    await office.say("局党组会议室")
    await office.tap("✓ 吴海燕")
    await office.tap("确定")
    await office.tap("会前3天")
    wu = await person(demo, "吴海燕", "x2")
    assert "批评意见提纲" not in await wu.say("截止")
