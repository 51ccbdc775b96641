"""Anonymous opinions as a member meets them, and the promise of SPEC §6 kept."""

from __future__ import annotations

import re

from sqlalchemy import text

from handlers.messages import Attachment, Forget, Incoming
from storage.anonymity import new_receipt
from tests.conftest import Demo, Unit
from tests.transcript import Chat, make_dispatcher

RECEIPT = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}")


async def write_anonymous(chat: Chat, words: str = "审批要跑三次。") -> str:
    await chat.say("匿名意见")
    await chat.tap("领导班子")
    await chat.tap("官僚主义")
    await chat.say(words)
    await chat.tap("完成")
    reply = await chat.tap("提交")
    return RECEIPT.search(reply).group(0)  # type: ignore[union-attr]


async def _sql(demo: Demo, query: str) -> list[tuple[object, ...]]:
    async def read(session: object) -> list[tuple[object, ...]]:
        return [tuple(r) for r in (await session.exec(text(query))).all()]  # type: ignore[attr-defined]

    return await demo.db.run(read)


async def test_the_promise_comes_first_and_the_receipt_last(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    first = await member.say("/anon")
    assert "无法知道这条意见是你写的" in first and "Telegram 或微信平台本身" in first
    await member.tap("领导班子")
    await member.tap("官僚主义")
    assert "只收文字" in member.text
    await member.say("审批要跑三次。")
    review = await member.tap("完成")
    assert "审批要跑三次" not in review  # no echo of the text once it is anonymous
    sent = await member.tap("提交")
    assert RECEIPT.search(sent) and "妥善保存" in sent


async def test_batch_release_thread_and_answer_back(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    code = await write_anonymous(member)
    office = await demo.person("admin", "a1")
    await office.say("管理")
    assert "没有需要处理" in await office.tap("意见箱")  # not before the daily release
    assert (await demo.run_jobs())["released"] == 0  # today's wait for tomorrow's batch
    demo.clock.advance(days=1)
    assert (await demo.run_jobs())["released"] == 1
    await office.press("op:ib:0")
    label = next(b.label for b in office.buttons() if b.label.startswith("匿名"))
    view = await office.tap(label)
    assert "审批要跑三次" in view and "11月25日收到" in view
    await office.tap("答复")
    await office.say("已要求一次性告知。")
    thread = await member.say(f"回执 {code.lower()}")
    assert "已要求一次性告知" in thread and "已答复" in thread
    await member.tap("回复")
    assert "下一次统一转交" in await member.say("还是跑了两次。")
    await office.press("op:ib:0")
    label = next(b.label for b in office.buttons() if b.label.startswith("匿名"))
    assert "还是跑了两次" not in await office.tap(label)  # until the next daily batch


async def test_reply_notice_goes_to_everyone_once_a_day(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await write_anonymous(member, "一")
    await write_anonymous(member, "二")
    demo.clock.advance(days=1)
    await demo.run_jobs()
    office = await demo.person("admin", "a1")
    await office.press("op:ib:0")
    for ref in [b.payload for b in office.buttons()]:
        await office.press(ref)
        await office.tap("答复")
        await office.say("收到。")
    notices = [row for row in await demo.outbox() if row[1] == "anon_notice"]
    members = await _sql(
        demo,
        "SELECT count(*) FROM member WHERE org_id = (SELECT id FROM organization WHERE is_demo)",
    )
    assert len(notices) == members[0][0]  # every member, once, for both replies
    assert len({text for _, _, text in notices}) == 1  # the same words to all


async def test_receipt_mistakes_each_say_what_is_wrong(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    code = await write_anonymous(member)
    assert "格式不对" in await member.say("回执 12345")
    swapped = code[:5] + code[6] + code[5] + code[7:]
    if swapped != code:
        assert "校验位不对" in await member.say(f"回执 {swapped}")
    assert "没有找到" in await member.say(f"回执 {new_receipt()}")  # well formed, unknown
    asked = await member.say("回执")
    assert "回执码" in asked
    assert "审批要跑三次" in await member.say(code)
    for _ in range(10):
        await member.say("回执 0000-0000-0000-0000-0001")
    assert "次数太多" in await member.say(f"回执 {code}")


async def test_no_anonymous_box_below_the_minimum(unit: Unit) -> None:
    chat = await unit.joined("member")
    assert "少于 5 人" in await chat.say("/anon")
    await chat.say("/opinion")
    assert [b.label for b in chat.buttons()] == ["实名提意见"]


async def test_anonymous_text_only_cleaned_and_forgotten(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await member.say("/anon")
    await member.tap("领导班子")
    await member.tap("其他")
    assert "没有收下" in await member.send_file(Attachment("photo", "p1"))
    replies = await demo.dispatcher.handle(
        Incoming("test", "m1", text="零\u200b宽\u202e字符", ref="41")
    )
    assert "共 4 字" in replies[0].text  # type: ignore[union-attr]
    await member.tap("完成")
    replies = await demo.dispatcher.handle(Incoming("test", "m1", payload="op:send:a"))
    assert Forget(("41",)) in replies
    stored = await _sql(demo, "SELECT text FROM anon_post")
    assert stored == [("零宽字符",)]


async def test_anonymous_draft_is_lost_on_restart_and_says_so(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    await member.say("/anon")
    await member.tap("领导班子")
    demo.services.memory.drop("test", "m1")  # what a restart does
    member.dispatcher = make_dispatcher(demo.db, demo.services)
    assert "匿名草稿已经不在" in await member.press("op:c:other:a")


async def test_flooding_the_anonymous_box_is_limited(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    for n in range(5):
        await write_anonymous(member, f"第{n}条")
    assert "很多了" in await member.say("/anon")


async def test_anonymous_follow_up_waits_for_the_batch(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    code = await write_anonymous(member)
    demo.clock.advance(days=1)
    await demo.run_jobs()
    await member.say(f"回执 {code}")
    await member.tap("回复")
    await member.say("补充一句。")
    office = await demo.person("admin", "a1")
    await office.press("op:ib:0")
    ref = next(b.payload for b in office.buttons() if b.label.startswith("匿名"))
    assert "补充一句" not in await office.press(ref)
    demo.clock.advance(days=1)
    await demo.run_jobs()
    assert "补充一句" in await office.press(ref)
