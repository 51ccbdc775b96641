"""Self-examination reports (对照检查材料): handed in through /deadlines, pushed to the main
leader, who accepts one or returns it with the campaign's reasons or comments of their
own; the author is told and hands in again; nobody else reviews, nobody twice."""

from __future__ import annotations

from tests.conftest import Demo
from tests.test_deadlines import create_deadline
from tests.test_examine_support import (  # noqa: F401  (fixtures: registration, the demo)
    examine_registered,
    overseen_demo,
    person,
    scheduler,
    submissions,
)
from tests.test_study_support import pushes
from tests.transcript import Chat

TITLE = "领导班子成员对照检查材料"


async def hand_in(chat: Chat, text: str) -> None:
    await chat.say("截止")
    await chat.tap(f"提交:{TITLE}")
    await chat.say(text)
    assert "已提交" in await chat.tap("完成")


async def test_returned_handed_in_again_and_accepted(demo: Demo) -> None:
    await create_deadline(demo, audience="领导班子")
    chen = await demo.person("leader", "l1")
    await hand_in(chen, "一、查摆的问题:调研不够深入……")
    await scheduler(demo)
    [(to, _, text, buttons)] = await pushes(demo, kind="report_review")
    assert to == "王立新" and "陈建国提交了《领导班子成员对照检查材料》" in text

    wang = await person(demo, "王立新", "w1")
    view = await wang.press(buttons[0])
    assert "提交人:陈建国" in view and "调研不够深入" in view
    labels = [b.label for b in wang.buttons()]
    assert labels[:4] == ["审阅通过", "退回:不具体", "退回:剖析不深", "退回:没有具体整改措施"]
    assert "退回修改" in await wang.tap("退回:没有具体整改措施")
    [_, (to, _, text, again)] = await pushes(demo, kind="report_review")
    assert to == "陈建国" and "没有具体的整改措施" in text and again == ["dl:sub:1"]
    assert "已退回修改" in await chen.say("对照检查")

    await chen.press(again[0])
    await chen.say("一、查摆的问题……三、整改措施:每月到基层调研两次。")
    await chen.tap("完成")
    await scheduler(demo)
    assert len(await pushes(demo, kind="report_review", to="王立新")) == 2
    assert "新版本" in await wang.press(buttons[0])  # the first version: superseded
    listing = await wang.say("对照检查")
    assert "待审阅 1" in listing and "未交:王立新、林秀英、吴海燕" in listing
    await wang.tap("审阅:陈建国")
    assert "已审阅通过陈建国" in await wang.tap("审阅通过")
    assert "审阅通过" in (await pushes(demo, kind="report_review", to="陈建国"))[-1][2]
    assert "你的:审阅通过" in await chen.say("对照检查")
    office = await demo.person("admin", "a1")
    overview = await office.say("对照检查")
    assert "已通过 1" in overview and not office.buttons()
    first, second = await submissions(demo)
    assert (first.status, second.status) == ("returned", "accepted")


async def test_review_refusals(demo: Demo) -> None:
    await create_deadline(demo, audience="领导班子")
    chen = await demo.person("leader", "l1")
    wang = await person(demo, "王立新", "w1")
    await hand_in(chen, "对照检查材料正文。")
    await hand_in(wang, "主要负责同志的对照检查材料。")
    member = await demo.person("member", "m1")
    await member.say("心得")
    await member.say("学习体会。")
    await member.tap("完成")
    chens, wangs, reflection = await submissions(demo)
    assert "由主要负责同志审阅" in await chen.press(f"ex:rv:{chens.id}")
    assert "不由你自己审阅" in await wang.press(f"ex:rv:{wangs.id}")
    assert "没有找到这份材料" in await wang.press(f"ex:rv:{reflection.id}")
    assert "没有找到这份材料" in await wang.press("ex:rv:999")
    assert "没有找到这份材料" in await wang.press("ex:ok:abc")
    assert "不对你的身份开放" in await member.press(f"ex:ok:{chens.id}")
    assert "退回意见" in await wang.press(f"ex:ret:{chens.id}:note")
    assert "1 到 1000" in await wang.say("改" * 1001)
    assert (await submissions(demo))[0].status == "submitted"  # nothing half-written
    assert "退回修改" in await wang.say("第二部分要联系分管工作的实际。")
    assert "已经审阅过了(已退回修改)" in await wang.press(f"ex:ok:{chens.id}")
    assert "已经审阅过了" in await wang.press(f"ex:ret:{chens.id}:deep")
    first = (await submissions(demo))[0]
    assert (first.status, first.review_note) == ("returned", "第二部分要联系分管工作的实际。")


async def test_a_report_returned_after_its_due_date_can_be_handed_in_again(demo: Demo) -> None:
    await create_deadline(demo, due="2026-11-27 18:00", audience="领导班子")
    chen = await demo.person("leader", "l1")
    await hand_in(chen, "对照检查材料正文。")
    demo.clock.advance(days=3)  # reviewed after the due date, as reports usually are
    wang = await person(demo, "王立新", "w1")
    [first] = await submissions(demo)
    await wang.press(f"ex:ret:{first.id}:deep")
    await chen.press("dl:sub:1")
    await chen.say("修改后的对照检查材料。")
    assert "已提交" in await chen.tap("完成")
    assert len(await submissions(demo)) == 2
