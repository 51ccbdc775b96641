"""The rectification ledger from the phone: the office creates an item with its four
specifics, the cadre reports in one tap, the leader reviews, the masses rate."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.registry import DUE_SOURCES
from handlers.schedule import run_due
from storage.ledger_models import RectificationItem, Visibility
from storage.repos import Repos
from tests.conftest import Demo
from tests.test_opinions_named import write_named
from tests.transcript import Chat


async def create_item(office: Chat, *, public: bool = True, deadline: str = "2027-03-31") -> str:
    await office.say("台帐管理")
    await office.tap("新建事项")
    await office.say("审批材料清单与网上公布不一致")
    await office.say("线上线下材料清单一致,一次告知")
    await office.say("全面核对清单;设立一次性告知单;每月抽查")
    await office.say(deadline)
    await office.tap("陈建国")
    await office.tap("刘洋")
    await office.say("群众办事最多跑一次")
    return await office.tap("公开" if public else "不公开")


async def test_four_specifics_then_one_tap_progress_and_review(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    assert "#1 已建立" in await create_item(office) or "事项 #1 已建立" in office.text
    pushes = await demo.outbox()
    assert pushes[-1][1] == "ledger_news" and "责任人" in pushes[-1][2]
    cadre = await demo.person("cadre", "c1")
    cards = await cadre.say("整改")
    assert "审批材料清单" in cards and "0%" in cards
    assert "进度 50%" in await cadre.tap("50%")
    assert "上次报的是 50%" in await cadre.say("进度 1 25")
    assert "进度 25%" in await cadre.say("进度 1 25 发现新问题,需返工")
    await cadre.say("整改")
    assert "等待责任领导 陈建国" in await cadre.tap("已完成,申请验收")
    review = (await demo.outbox())[-1]
    assert review[1] == "ledger_review" and "申请验收" in review[2]
    leader = await demo.person("leader", "l1")
    assert "已退回" not in await leader.press("lg:ret:1")
    assert "已退回" in await leader.say("材料清单还有两处不一致")
    assert "理由:材料清单还有两处不一致" in (await demo.outbox())[-1][2]
    await cadre.say("整改")
    await cadre.tap("已完成,申请验收")
    assert "已通过验收" in await leader.press("lg:ok:1")
    assert "不在待验收" in await leader.press("lg:ok:1")


async def test_bad_progress_input(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await create_item(office)
    cadre = await demo.person("cadre", "c1")
    assert "格式" in await cadre.say("进度 一 二")
    assert "0 到 100" in await cadre.say("进度 1 150")
    assert "没有找到" in await cadre.say("进度 99 50")
    member = await demo.person("member", "m1")
    assert "不对你的身份开放" in await member.say("进度 1 50")
    leader = await demo.person("leader", "l1")
    assert "不是你负责的" in await leader.say("进度 1 50")
    assert "由它的责任领导" not in await leader.press("lg:ok:1")  # not awaiting: says so
    assert "不在待验收" in leader.text


async def test_missing_specifics_are_named(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await office.say("台帐管理")
    await office.tap("新建事项")
    assert "整改事项不能为空" in await office.say("   ")
    await office.say("事项")
    assert "整改目标不能为空" in await office.say("长" * 1001)
    await office.say("目标")
    await office.say("措施")
    assert "已经过去" in await office.say("2020-01-01")
    assert "没看懂" in await office.say("尽快")
    await office.say("2027-01-31")
    assert "没有可以担任" in await office.say("赵晓雪")  # a member cannot be the leader
    await office.tap("陈建国")
    await office.tap("刘洋")
    await office.say("跳过")
    assert "已建立" in await office.tap("不公开")


async def test_item_from_a_problem_tells_the_opinion_author(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_named(member)
    office = await demo.person("admin", "a1")
    await office.press("op:v:n1")
    await office.tap("并入问题")
    await office.tap("新建问题")
    await office.say("文山会海")
    await office.say("台帐管理")
    await office.tap("从问题清单建立")
    assert "已按问题填好:文山会海" in await office.tap("#1 文山会海")
    await office.say("会议减少一半")
    await office.say("合并例会")
    await office.say("2027-03-31")
    await office.tap("陈建国")
    await office.tap("刘洋")
    await office.say("跳过")
    await office.tap("公开")
    news = [t for _, k, t in await demo.outbox() if k == "opinion_news"]
    assert any("列入整改台帐" in t for t in news)


async def _finished_public_item(demo: Demo) -> int:
    async def make(session: object) -> int:
        repos = Repos(session)  # type: ignore[arg-type]
        people = {m.name: m.id for m in await repos.members.in_org(demo.org_id)}
        item = await repos.ledger.add(RectificationItem(
            org_id=demo.org_id, content="窗口服务态度", goal="零投诉", measures="培训",
            deadline=date(2026, 12, 31), leader_id=people["陈建国"], person_id=people["刘洋"],
            visibility=Visibility.public, status="done", percent=100,
            finished_on=date(2026, 11, 24), rating_closes_on=date(2026, 12, 5),
        ))  # fmt: skip
        return item.id  # type: ignore[return-value]

    return await demo.db.run(make)


async def test_rating_is_once_batched_withheld_and_sealed(demo: Demo) -> None:
    item_id = await _finished_public_item(demo)
    voters = [await demo.newcomer(f"v{n}", f"群众{n}") for n in range(6)]
    choices = ["不满意", "不满意", "不满意", "满意", "基本满意", "满意"]
    for voter, choice in zip(voters[:4], choices, strict=False):
        await voter.say("公示")
        assert "结果于 12月5日公布" in voter.text
        assert "一起计入" in await voter.tap(choice)
    tally = await demo.db.run(lambda s: Repos(s).ledger.tally(item_id))
    assert tally == {}  # four waiting in memory: nothing written that could tie one to one
    assert "已经计入" in await voters[0].press(f"lg:r:{item_id}:satisfied")
    await voters[4].say("公示")
    await voters[4].tap("基本满意")
    tally = await demo.db.run(lambda s: Repos(s).ledger.tally(item_id))
    assert tally == {"dissatisfied": 3, "satisfied": 1, "basic": 1}
    assert "已经计入" in await voters[0].press(f"lg:r:{item_id}:basic")
    demo.clock.advance(days=11)
    office = await demo.person("admin", "a1")
    listing = await office.say("公示")
    assert "不满意 60%" in listing and "回头看" in listing
    assert "评价期已经结束" in await voters[5].press(f"lg:r:{item_id}:satisfied")
    assert "重新整改" in await office.tap("回头看:重新整改")
    assert "回头看" in (await demo.outbox())[-1][2]


async def test_rating_refused_for_unfinished_items(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await create_item(office)
    member = await demo.person("member", "m1")
    assert "还没完成" in await member.press("lg:r:1:satisfied")


async def test_deadline_reminders_and_escalation(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await create_item(office, deadline="2026-12-03")
    demo.clock.now = demo.clock.now.replace(day=26, hour=1, minute=0, second=10)  # 09:00 local
    report = await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    assert report.sent == 1
    assert "还有 7 天" in [t for _, k, t in await demo.outbox() if k == "ledger_reminder"][-1]
    demo.clock.now += timedelta(days=10)  # 12-06 09:00: three days past the deadline
    report = await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    texts = [t for _, k, t in await demo.outbox() if k == "ledger_reminder"]
    assert any("督促落实" in t for t in texts)


async def test_a_remainder_of_ratings_is_written_at_the_daily_hour(demo: Demo) -> None:
    from handlers.ledger.ratings import flush_daily

    item_id = await _finished_public_item(demo)
    voter = await demo.newcomer("v1", "群众甲")
    await voter.say("公示")
    await voter.tap("满意")
    await demo.db.run(lambda s: flush_daily(Repos(s), demo.services, demo.clock()))
    assert await demo.db.run(lambda s: Repos(s).ledger.tally(item_id)) == {"satisfied": 1}


async def test_admin_menu_and_a_leaders_review_queue(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await office.say("管理")
    labels = [b.label for b in office.buttons()]
    assert {"意见箱", "问题清单", "统计", "台帐管理", "截止管理"} <= set(labels)
    assert "整改台帐" in await office.tap("台帐管理")
    await create_item(office)
    cadre = await demo.person("cadre", "c1")
    await cadre.say("整改")
    await cadre.tap("已完成,申请验收")
    leader = await demo.person("leader", "l1")
    assert "待你验收:整改事项 #1" in await leader.say("管理")
    assert "已通过验收" in await leader.tap("通过验收")


async def test_monthly_bulletin_on_its_day_and_on_demand(demo: Demo) -> None:
    from handlers.messages import File, Image

    await _finished_public_item(demo)
    demo.clock.now = demo.clock.now.replace(month=12, day=5, hour=1, minute=0, second=5)
    report = await run_due(demo.db, demo.services, DUE_SOURCES, demo.clock())
    bulletins = [row for row in await demo.outbox() if row[1] == "bulletin"]
    assert report.sent >= 1 and len(bulletins) == 7  # 4 leaders, 2 in the office, a supervisor
    assert "整改" in bulletins[0][2]
    leader = await demo.person("leader", "l1")
    assert "整改" in await leader.say("月通报")
    await leader.tap("看图表和台帐")
    assert any(isinstance(r, Image) for r in leader.last)
    assert any(isinstance(r, File) for r in leader.last)
    office = await demo.person("admin", "a1")
    await office.say("月通报")
    assert "已公示" in await office.tap("公示此通报")
    member = await demo.person("member", "m1")
    assert "月通报" in await member.say("公示")
    assert "不对你的身份开放" in await member.say("月通报")


async def test_sub_items_roll_up_weighted_and_milestones(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await create_item(office)
    await office.say("台帐管理")
    view = await office.tap("#1")
    assert "审批材料清单" in view and "责任人 刘洋" in view
    await office.tap("加子事项")
    assert "格式" in await office.say("只有内容")
    assert "不能晚于" in await office.say("核对清单 2028-01-01 刘洋")
    assert "加子事项 #2" in await office.say("核对清单 2027-01-31 刘洋 3")
    await office.press("lg:sub:1")
    assert "#3" in await office.say("一次性告知单 2027-02-28 孙丽")
    await office.press("lg:ms:1")
    assert "已为事项 #1 加节点" in await office.say("清单公示 2027-01-15")
    cadre = await demo.person("cadre", "c1")
    assert "子事项汇总" in await cadre.say("进度 1 50")
    await cadre.say("进度 2 50")
    view = await office.press("lg:iv:1")
    assert "进度 38%" in view  # (50·3 + 0·1) / 4
    assert "清单公示" in view and "子事项 #2" in view
