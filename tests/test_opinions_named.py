"""Named opinions from a member's phone, as transcripts: write, submit, get answered."""

from __future__ import annotations

from handlers.messages import Attachment
from tests.conftest import Demo
from tests.transcript import Chat, make_dispatcher


async def write_named(chat: Chat, target: str = "单位整体工作", text: str = "开会太多。") -> str:
    await chat.say("提意见")
    await chat.tap("实名提意见")
    await chat.tap(target)
    await chat.tap("形式主义")
    await chat.say(text)
    await chat.tap("完成")
    return await chat.tap("提交")


async def test_named_opinion_end_to_end(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    assert "实名还是匿名" in await member.say("/opinion")
    assert "提给谁" in await member.tap("实名提意见")
    assert "请选择部门" in await member.tap("某个部门")
    assert "哪一类" in await member.tap("建设项目审批科")
    assert "写下你的意见" in await member.tap("官僚主义")
    assert "共 7 字" in await member.say("审批要跑三次。")
    assert "1 个附件" in await member.send_file(Attachment("photo", "photo-1"))
    review = await member.say("完成")
    assert "建设项目审批科" in review and "官僚主义" in review and "审批要跑三次" in review
    assert "编号 #1" in await member.tap("提交")
    mine = await member.say("我的意见")
    assert "#1" in mine and "待处理" in mine
    assert "审批要跑三次" in await member.tap("#1")


async def test_office_reply_is_pushed_and_author_answers_back(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_named(member)
    office = await demo.person("admin", "a1")
    await office.say("管理")
    await office.tap("意见箱")
    assert "开会太多" in await office.tap("#1 · 形式主义 · 待处理 · 0天")
    await office.tap("答复")
    assert "已答复 #1" in await office.say("下周起例会减半。")
    pushes = await demo.outbox()
    assert [(kind, "下周起例会减半" in text) for _, kind, text in pushes] == [
        ("opinion_news", True)
    ]
    assert "办公室" in pushes[0][2]  # signed with the office, not necessarily a name
    assert "已答复" in await member.say("/my")
    await member.tap("#1")
    assert "回复" in await member.tap("回复")
    assert "已送达" in await member.say("谢谢,希望落实。")
    await office.press("op:v:n1")
    assert "谢谢,希望落实" in office.text and "待处理" in office.text


async def test_opinion_about_a_leader_goes_to_the_main_leader(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await member.say("提意见")
    await member.tap("实名提意见")
    await member.tap("某位领导")
    await member.tap("陈建国")
    await member.tap("官僚主义")
    await member.say("作风粗暴。")
    await member.tap("完成")
    await member.tap("提交")
    # 陈建国 is a leader persona; the opinion about him went to 王立新, the main leader.
    leader = await demo.person("leader", "l1")
    assert "没有需要处理的意见" in await leader.say("管理")
    office = await demo.person("admin", "a1")
    assert "承办:王立新" in await office.press("op:v:n1")


async def test_named_draft_survives_a_restart(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await member.say("提意见")
    await member.tap("实名提意见")
    await member.tap("领导班子")
    await member.tap("建议")
    await member.say("第一段。")
    member.dispatcher = make_dispatcher(demo.db, demo.services)  # a restart
    assert "共 8 字" in await member.say("第二段。")
    review = await member.tap("完成")
    assert "第一段。\n第二段。" in review


async def test_double_tap_on_submit_makes_one_opinion(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_named(member)
    assert "没有待提交的意见" in await member.press("op:send:n")
    assert (await member.say("/my")).count("#") == 1


async def test_bad_input_while_writing(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await member.say("提意见")
    await member.tap("实名提意见")
    assert "草稿已经不在" in await member.press("op:tl:999999:n")  # a forged leader id
    await member.press("op:t:team:n")
    await member.press("op:c:other:n")
    assert "还没有写" in await member.say("完成")
    await member.say("长" * 2990)
    assert "上限" in await member.say("再加二十个字" * 3)
    assert "回执码" in await member.say("7K3F-9QXD-2MAB-C4EF-GH5J")
    assert "共 2990 字" in await member.say("   ")
    assert "已取消" in await member.say("取消")
    assert "草稿已经不在" in await member.press("op:done:n")
    assert "没有待提交" in await member.press("op:send:n")


async def test_a_target_that_is_gone_is_chosen_again(demo: Demo) -> None:
    from sqlmodel import select

    from storage.models import Member

    member = await demo.person("member", "m1")
    await member.say("提意见")
    await member.tap("实名提意见")
    await member.tap("某位领导")
    await member.tap("林秀英")
    await member.tap("建议")
    await member.say("建议多下基层。")
    await member.tap("完成")

    async def leave(session: object) -> None:
        query = select(Member).where(Member.name == "林秀英")
        leader = (await session.exec(query)).one()  # type: ignore[attr-defined]
        leader.active = False
        session.add(leader)  # type: ignore[attr-defined]

    await demo.db.run(leave)
    assert "已经不在了" in await member.tap("提交")
    assert "领导班子" in await member.tap("领导班子")  # straight back to the review
    assert "编号 #1" in await member.tap("提交")
    await member.say("/my")
    assert "建议多下基层" in await member.tap("#1")


async def test_free_text_without_a_dialogue_gets_a_hint(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    assert "没有把这段文字当作意见保存" in await member.say("食堂的饭菜越来越差了,希望改进。")
