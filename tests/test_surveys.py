"""Surveys: the office opens one from a template; members answer in a few taps; who took
part is kept apart from the answers, which are written in batches; results are withheld
below k and sealed until the window closes."""

from __future__ import annotations

from sqlalchemy import text

from handlers.messages import Image
from handlers.registry import DUE_SOURCES
from handlers.schedule import run_due
from tests.conftest import Demo
from tests.transcript import Chat


async def open_satisfaction(demo: Demo) -> Chat:
    office = await demo.person("admin", "a1")
    await office.say("测评管理")
    await office.tap("发起测评")
    await office.tap("专题民主生活会满意度测评")
    await office.tap("全体")
    assert "已发起" in await office.say("下周五 18:00")
    return office


async def answer(chat: Chat, choices: list[str], comment: str = "跳过") -> str:
    await chat.say("测评")
    assert "匿名" in await chat.tap(chat.buttons()[0].label)
    for choice in choices:
        await chat.tap(choice)
    await chat.say(comment)
    return await chat.tap("提交答卷")


async def _count(demo: Demo, table: str) -> int:
    async def read(session: object) -> int:
        return (await session.exec(text(f"SELECT count(*) FROM {table}"))).one()[0]  # type: ignore[attr-defined]  # noqa: S608  (the test's own table names)

    return await demo.db.run(read)


async def test_answers_are_mixed_withheld_and_sealed(demo: Demo) -> None:
    office = await open_satisfaction(demo)
    people = [await demo.newcomer(f"p{n}", f"群众{n}") for n in range(6)]
    for n, person in enumerate(people[:4]):
        assert "谢谢" in await answer(person, ["满意", "基本满意", "满意"], comment=f"意见{n}")
    assert await _count(demo, "survey_participation") == 0  # four waiting, nothing written
    assert "已经参加过" in await people[0].press("sv:go:1")
    await answer(people[4], ["不满意", "不满意", "满意"])
    assert await _count(demo, "survey_participation") == 5
    assert await _count(demo, "survey_response") == 5
    await office.say("测评管理")
    assert "进行中" in office.text and "已收 5 份" in office.text
    assert "截止后公布" in await office.tap("#1")
    demo.clock.advance(days=10)
    await office.press("sv:v:1")
    results = office.text
    assert "共 5 份答卷" in results and "满意 4(80%)" in results and "不满意 1(20%)" in results
    assert all(f"意见{n}" in results for n in range(4))
    assert any(isinstance(r, Image) for r in office.last)
    assert "已经结束" in await people[5].press("sv:go:1")


async def test_results_withheld_below_k(demo: Demo) -> None:
    office = await open_satisfaction(demo)
    person = await demo.newcomer("p1", "群众甲")
    await answer(person, ["满意", "满意", "满意"])
    demo.clock.advance(days=10)
    from handlers.surveys import flush_answers
    from storage.repos import Repos

    await demo.db.run(lambda s: flush_answers(Repos(s), demo.services, demo.clock()))
    assert await _count(demo, "survey_response") == 1
    assert "少于 5 份" in await office.press("sv:v:1")


async def test_bad_input_while_answering(demo: Demo) -> None:
    await open_satisfaction(demo)
    person = await demo.newcomer("p1", "群众甲")
    await person.say("测评")
    await person.tap(person.buttons()[0].label)
    assert "点下面的选项" in await person.say("满意吧")
    assert "失效" in await person.press("sv:a:5:0")
    assert "失效" in await person.press("sv:a:0:9")
    await person.tap("满意")
    await person.tap("满意")
    await person.tap("满意")
    assert "太长" in await person.say("长" * 1001)
    await person.say("跳过")
    assert "谢谢" in await person.tap("提交答卷")
    assert "已经参加过" in await person.press("sv:go:1")
    assert "没有需要你参加" in await person.say("测评")
    stranger = await demo.newcomer("p2", "群众乙")
    assert "不在了" in await stranger.press("sv:send")


async def test_open_push_and_last_reminder_only_to_who_has_not_answered(demo: Demo) -> None:
    await open_satisfaction(demo)
    report = await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    pushes = [r for r in await demo.outbox() if r[1] == "survey"]
    assert report.sent >= 1 and len(pushes) >= 25
    person = await demo.person("member", "m1")
    await answer(person, ["满意", "满意", "满意"])
    demo.clock.now = demo.clock.now.replace(month=12, day=3, hour=10, minute=0, second=30)
    await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    later = [r for r in await demo.outbox() if r[1] == "survey"][len(pushes) :]
    assert later and all("明天截止" in t for _, _, t in later)
    assert len(later) == len(pushes) - 1  # everyone but the one who answered


async def test_appraisal_asks_about_the_team_and_each_leader(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await office.say("测评管理")
    await office.tap("发起测评")
    await office.tap("民主测评:领导班子和班子成员")
    await office.tap("全体")
    await office.say("下周五 18:00")
    person = await demo.newcomer("p1", "群众甲")
    await person.say("测评")
    first = await person.tap(person.buttons()[0].label)
    assert "第 1/9 题" in first and "形式主义" in first
    assert [b.label for b in person.buttons()] == ["好", "较好", "一般", "差"]


async def test_members_cannot_manage_and_supervisors_only_read(demo: Demo) -> None:
    await open_satisfaction(demo)
    member = await demo.person("member", "m1")
    assert "不对你的身份开放" in await member.say("测评管理")
    supervisor = await demo.person("supervisor", "s1")
    listing = await supervisor.say("测评管理")
    assert "#1" in listing and "发起测评" not in [b.label for b in supervisor.buttons()]
    assert "不对你的身份开放" in await supervisor.press("sv:end:1")
