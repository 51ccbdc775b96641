"""Heart-to-heart talks (谈心谈话): either party records one in a few taps, the other
confirms it from a pushed button; the office and the main leader see which required talks
are missing and remind only those concerned; every wrong move gets a clear answer."""

from __future__ import annotations

from tests.conftest import Demo
from tests.test_examine_support import (  # noqa: F401  (fixtures: registration, the demo)
    examine_registered,
    member_id,
    overseen_demo,
    person,
    talks,
)
from tests.test_study_support import pushes


async def record(chat: object, name: str, *, day: str = "昨天", summary: str | None = None) -> str:
    from tests.transcript import Chat

    assert isinstance(chat, Chat)
    await chat.say("谈心")
    await chat.tap(name)
    if day in ("今天", "昨天"):
        await chat.tap(day)
    else:
        await chat.say(day)
    await chat.tap("谈思想、谈作风、谈纪律、谈工作")
    if summary is None:
        return await chat.tap("不写小结")
    return await chat.say(summary)


async def test_record_and_the_other_confirms(demo: Demo) -> None:
    chen = await demo.person("leader", "l1")  # 陈建国: oversees 规划编制科 and 建设项目审批科
    view = await chen.say("谈心")
    assert "必谈对象 5 人,已谈并确认 0 人" in view
    assert "还没谈:王立新、林秀英、吴海燕、刘洋、孙丽" in view
    assert "王立新" in [b.label for b in chen.buttons()] and "谈心谈话情况" not in view
    await chen.tap("王立新")
    assert "哪天谈的" in chen.text
    assert "谈了哪些内容" in await chen.tap("昨天")
    assert "小结" in await chen.tap("谈思想、谈作风、谈纪律、谈工作")
    saved = await chen.say("交换了对班子团结和分管工作的意见。")
    assert "已记录你和王立新在11月24日" in saved
    [(to, _, text, buttons)] = await pushes(demo, kind="talk_confirm")
    assert to == "王立新" and "陈建国记录了和你的一次谈心谈话" in text and "交换了" in text

    assert "已记录、等对方确认:王立新" in await chen.say("谈心")
    wang = await person(demo, "王立新", "w1")
    pending = await wang.say("谈心")
    assert "有 1 条别人记录的谈话等你确认" in pending and "等对方确认" not in pending
    assert "已确认你和陈建国在11月24日" in await wang.press(buttons[0])
    assert "已经在11月25日确认过" in await wang.press(buttons[0])  # confirming twice
    [(to, _, text, _)] = await pushes(demo, kind="talk_news")
    assert to == "陈建国" and "王立新已确认" in text
    assert "已谈并确认 1 人" in await chen.say("谈心")
    [talk] = await talks(demo)
    assert talk.confirmed_at is not None and talk.summary.startswith("交换了")


async def test_typed_name_and_no_summary(demo: Demo) -> None:
    chen = await demo.person("leader", "l1")
    await chen.say("谈心")
    assert "请发送对方的姓名" in await chen.tap("其他同志")
    assert "已记录" not in await chen.say("赵晓雪")
    await chen.say("11月20日")
    await chen.say("了解基层对审批提速的意见")
    assert "已记录你和赵晓雪在11月20日" in await chen.tap("不写小结")
    [talk] = await talks(demo)
    assert (talk.topics, talk.summary) == ("了解基层对审批提速的意见", "")


async def test_the_other_recorded_it_first_and_a_dispute_withdraws(demo: Demo) -> None:
    chen = await demo.person("leader", "l1")
    liu = await demo.person("cadre", "c1")  # 刘洋, head of 规划编制科
    await record(chen, "刘洋")
    await liu.say("谈心")
    await liu.tap("其他同志")
    await liu.say("陈建国")
    await liu.tap("昨天")
    await liu.tap("谈思想、谈作风、谈纪律、谈工作")
    offered = await liu.tap("不写小结")
    assert "已经记录了你们这天的谈话" in offered and len(await talks(demo)) == 1
    assert "撤回" in await liu.tap("不是这样")
    assert await talks(demo) == []
    [(to, _, text, _)] = await pushes(demo, kind="talk_news")
    assert to == "陈建国" and "没有确认" in text


async def test_coverage_grid_and_reminders_to_those_concerned(demo: Demo) -> None:
    chen = await demo.person("leader", "l1")
    await record(chen, "王立新")
    office = await demo.person("admin", "a1")  # 周敏, deputy head of 办公室
    await office.say("谈心")
    grid = await office.tap("谈心谈话情况")
    assert "必谈 13 对,已谈并确认 0 对,待确认 1 对,未谈 12 对" in grid
    assert "… 王立新—陈建国(11月24日记录,待确认)" in grid
    assert "✗ 陈建国—刘洋" in grid and "✗ 马超—周敏" in grid and "✗ 吴海燕—何静" in grid
    assert "四、中层正职与副职" in grid
    reminded = await office.tap("提醒还没谈的同志")
    assert "已提醒 11 位同志" in reminded  # the 4 leaders, the 6 heads, 周敏 (马超's deputy)
    sent = await pushes(demo, kind="talk_reminder")
    names = {to for to, *_ in sent}
    assert "赵晓雪" not in names and "赵志刚" not in names and len(names) == 11
    [wang] = [r for r in sent if r[0] == "王立新"]
    assert "林秀英、吴海燕" in wang[2] and "陈建国记录了和你的一次谈话" in wang[2]
    assert any(p.startswith("ex:tc:") for p in wang[3])
    [chen_push] = [r for r in sent if r[0] == "陈建国"]
    assert "王立新" not in chen_push[2]  # his own record awaits the other side, not him
    await office.press("ex:remind")
    assert len(await pushes(demo, kind="talk_reminder")) == 11  # once a day at most
    assert "只向活动办和主要负责同志开放" in await chen.press("ex:grid")


async def test_refusals_write_nothing(demo: Demo) -> None:
    chen = await demo.person("leader", "l1")
    own = await member_id(demo, "陈建国")
    outsider = await member_id(demo, "许振华")  # the county's supervisor: another organization
    assert "不能记录和自己的谈话" in await chen.press(f"ex:tw:{own}")
    assert "不在本单位" in await chen.press(f"ex:tw:{outsider}")
    assert "不在本单位" in await chen.press("ex:tw:99999")
    await chen.say("谈心")
    await chen.tap("其他同志")
    assert "不能记录和自己的谈话" in await chen.say("陈建国")
    assert "名单里没有“许振华”" in await chen.say("许振华")
    assert "几位同志" in await chen.say("王")  # 王立新, 王芳: pick one
    await chen.tap("王立新(党组书记、局长)")
    assert "还没到" in await chen.say("2026-12-30")
    assert "没看懂" in await chen.say("前些日子")
    await chen.press("ex:td:0")
    assert "1 到 500" in await chen.say("谈" * 501)
    await chen.say("工作")
    assert "最多 2000 字" in await chen.say("长" * 2001)
    assert await talks(demo) == []
    assert "已经结束" in await chen.press("ex:td:0")  # a step this dialogue is not at
    await chen.press("ex:ts")
    [talk] = await talks(demo)
    assert "你不用确认" in await chen.press(f"ex:tc:{talk.id}")  # the recorder cannot confirm
    member = await demo.person("member", "m1")
    assert "不是这次谈话的一方" in await member.press(f"ex:tc:{talk.id}")
    assert "不是这次谈话的一方" in await member.press(f"ex:tx:{talk.id}")
    assert "没有找到这条谈话记录" in await member.press("ex:tc:abc")
    assert "你已经记录过和王立新在11月25日的谈话" in await _again(chen)
    assert len(await talks(demo)) == 1 and (await talks(demo))[0].confirmed_at is None


async def _again(chat: object) -> str:
    from tests.transcript import Chat

    assert isinstance(chat, Chat)
    await chat.say("谈心")
    await chat.tap("其他同志")
    await chat.say("王立新")
    await chat.tap("今天")
    await chat.tap("谈思想、谈作风、谈纪律、谈工作")
    return await chat.tap("不写小结")


async def test_each_person_reads_it_in_their_own_language(demo: Demo) -> None:
    wang = await person(demo, "王立新", "w1")
    await wang.say("/lang en")
    chen = await demo.person("leader", "l1")
    await record(chen, "王立新")
    [(_, _, text, _)] = await pushes(demo, kind="talk_confirm")
    assert "recorded a heart-to-heart talk with you" in text and "Thinking" not in text
    view = await wang.say("/talk")
    assert "The campaign asks you to talk with 3 people" in view
    assert "Confirm: 陈建国 11/24" in [b.label for b in wang.buttons()]
    assert "Confirmed your talk with 陈建国" in await wang.tap("Confirm: 陈建国 11/24")
    grid = await wang.press("ex:grid")
    assert "Required talks: 13 pairs; held and confirmed 1" in grid
    assert "✓ 王立新—陈建国" in grid and "4. Department heads with their deputies" in grid
