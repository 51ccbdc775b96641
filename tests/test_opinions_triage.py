"""The office and leaders work the inbox: assign, correct, close, merge, and no opinion
goes unanswered without someone being reminded."""

from __future__ import annotations

from tests.conftest import Demo
from tests.test_opinions_anonymous import write_anonymous
from tests.test_opinions_named import write_named


async def test_assign_notifies_the_leader_who_then_replies(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_named(member)
    office = await demo.person("admin", "a1")
    await office.press("op:v:n1")
    assert "分派给哪位领导" in await office.tap("分派")
    assert "已分派给 陈建国" in await office.tap("陈建国")
    pushes = await demo.outbox()
    assert pushes[-1][1] == "opinion_staff" and "分派给你" in pushes[-1][2]
    leader = await demo.person("leader", "l1")
    inbox = await leader.say("管理")
    assert "已分派 1" in inbox
    await leader.press("op:v:n1")
    labels = [b.label for b in leader.buttons()]
    assert labels == ["答复", "办结"]  # a leader answers; the office triages
    await leader.tap("答复")
    assert "已答复" in await leader.say("已研究,下周改进。")
    assert "已研究" in (await demo.outbox())[-1][2]


async def test_category_close_and_merge(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_named(member)
    await write_named(member, text="报表太多。")
    office = await demo.person("admin", "a1")
    await office.press("op:v:n1")
    await office.tap("改类别")
    assert "已改为 官僚主义" in await office.tap("官僚主义")
    await office.press("op:v:n1")
    await office.tap("并入问题")
    await office.tap("新建问题")
    assert "已并入问题 #1" in await office.say("会议和文件过多")
    await office.press("op:v:n2")
    await office.tap("并入问题")
    assert "已并入问题 #1" in await office.tap("#1 会议和文件过多")
    news = [text for _, kind, text in await demo.outbox() if kind == "opinion_news"]
    assert sum("问题清单" in text for text in news) == 2
    assert "2 条意见" in await office.press("op:pl")
    await office.press("op:v:n2")
    await office.tap("办结")
    assert "已办结" in await office.say("已并入问题清单统一整改。")
    assert "办结:已并入问题清单" in (await demo.outbox())[-1][2]
    assert "已经办结" in await office.press("op:cl:n2")
    assert "已办结" in await member.say("/my")


async def test_merging_an_anonymous_thread_tells_it_in_the_thread(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    code = await write_anonymous(member)
    demo.clock.advance(days=1)
    await demo.run_jobs()
    office = await demo.person("admin", "a1")
    await office.press("op:ib:0")
    await office.press(office.buttons()[0].payload)
    await office.tap("并入问题")
    await office.tap("新建问题")
    await office.say("审批环节多")
    thread = await member.say(f"回执 {code}")
    assert "问题清单" in thread and "审批环节多" in thread


async def test_overdue_reminds_the_assignee_then_the_office(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_named(member)
    office = await demo.person("admin", "a1")
    await office.press("op:v:n1")
    await office.tap("分派")
    await office.tap("林秀英")
    before = len(await demo.outbox())
    demo.clock.advance(days=4)
    assert (await demo.run_jobs())["reminded"] == 0
    demo.clock.advance(days=1)
    assert (await demo.run_jobs())["reminded"] == 1
    reminders = (await demo.outbox())[before:]
    assert len(reminders) == 1 and "超过答复期限" in reminders[0][2]
    assert (await demo.run_jobs())["reminded"] == 0  # never twice
    demo.clock.advance(days=2)
    await demo.run_jobs()
    escalations = [row for row in (await demo.outbox())[before + 1 :] if "督办" in row[2]]
    assert len(escalations) == 3  # the two office members and the assignee
    assert "超期 1" in await office.press("op:ib:0")
    assert office.buttons()[0].label.startswith("⚠超期")


async def test_who_may_touch_an_opinion(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_named(member)
    other = await demo.newcomer("m2", "路人甲")
    assert "不对你的身份开放" in await other.press("op:v:n1")
    assert "不对你的身份开放" in await other.say("管理")
    assert "没有找到" in await other.press("op:mv:1")  # not the author
    leader = await demo.person("leader", "l1")
    assert "没有找到" in await leader.press("op:v:n1")  # not assigned to them
    assert "不对你的身份开放" in await leader.press("op:as:n1")
    office = await demo.person("admin", "a1")
    assert "没有找到" in await office.press("op:v:n999")
    assert "没有找到" in await office.press("op:v:a123456789")
    assert "没有找到" in await office.press("op:v:zz")


async def test_figures_count_received_answered_and_overdue(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_named(member)
    await write_named(member, text="第二条")
    await write_anonymous(member)
    office = await demo.person("admin", "a1")
    await office.press("op:v:n1")
    await office.tap("答复")
    await office.say("已改。")
    demo.clock.advance(days=1)
    await demo.run_jobs()  # the anonymous one reaches the inbox
    demo.clock.advance(days=5)
    figures = await office.press("op:st")
    assert "形式主义:2 / 1 / 1" in figures  # one answered, one overdue
    assert "官僚主义:1 / 0 / 1" in figures  # the anonymous one, counted from its release


async def test_closing_an_anonymous_thread_tells_it_in_the_thread(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    code = await write_anonymous(member)
    demo.clock.advance(days=1)
    await demo.run_jobs()
    office = await demo.person("admin", "a1")
    await office.press("op:ib:0")
    await office.press(office.buttons()[0].payload)
    await office.tap("办结")
    assert "已办结" in await office.say("已转有关部门处理。")
    thread = await member.say(f"回执 {code}")
    assert "已办结" in thread and "已转有关部门处理" in thread
