"""The campaign office's study sessions, as transcripts: create one in a short dialogue,
move it, change its place and readings, call it off, see who came and export it."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from handlers.messages import Attachment, File
from tests.conftest import Demo
from tests.test_study_support import (  # noqa: F401  (fixtures: study_registered, the demo)
    add_session,
    answer_of,
    clean_demo,
    code_now,
    pushes,
    session_row,
    set_clock,
    study_registered,
)


async def test_office_creates_a_session_in_a_short_dialogue(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await office.say("学习管理")
    assert "主题是什么" in await office.tap("新建学习")
    assert "1 到 200 个字" in await office.send_file(Attachment("photo", "p1"))
    assert "什么时间" in await office.say("专题研讨:为了谁、依靠谁、我是谁")
    assert "2026-11-26 14:30-16:30" in office.text  # the example is tomorrow afternoon
    assert "请写明几点" in await office.say("明天下午")
    assert "请写上几点开始" in await office.say("明天")
    assert "11月24日(周二)14:30已经过去" in await office.say("2026-11-24 14:30-16:30")
    assert "必须晚于开始时间" in await office.say("2026-11-26 16:30-14:30")
    assert "最长 12 小时" in await office.say("2026-11-26 07:00-21:00")
    assert "没有2月30日" in await office.say("2026-02-30 14:30-16:30")
    assert "在哪里" in await office.say("2026-11-26 14:30 至 16:30")
    assert "谁参加" in await office.say("党组会议室")
    await office.tap("干部")
    await office.tap("科员及以下")  # no cadre of the demo is of staff rank
    assert "一个人也没有" in await office.tap("确定")
    await office.tap("✓ 干部")
    await office.tap("✓ 科员及以下")
    assert "至少选一项" in await office.tap("确定")
    await office.tap("领导班子成员")
    await office.tap("活动办工作人员")
    review = await office.tap("确定")
    assert "专题研讨" in review and "11月26日(周四)14:30–16:30" in review
    assert "领导班子成员、活动办工作人员(6 人)" in review
    assert "已创建学习 #" in await office.tap("创建")
    assert "报名参加 0" in office.text and "签到码" in [b.label for b in office.buttons()]
    assert "草稿已经不在" in await office.press("study:mk")  # a double tap makes one session
    listing = await office.say("/sessions")
    assert "1 场未结束" in listing
    assert any("为了谁" in b.label for b in office.buttons())


async def test_the_dialogue_can_be_dropped_and_members_cannot_reach_it(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await office.say("学习管理")
    await office.tap("新建学习")
    await office.say("集中学习")
    await office.say("2026-11-26 14:30-16:30")
    await office.say("https://meeting.example.cn/j/1")
    await office.tap("全体人员")
    assert "已取消" in await office.tap("不建了")
    assert "草稿已经不在" in await office.press("study:au:all")
    member = await demo.person("member", "m1")
    assert "不对你的身份开放" in await member.say("学习管理")
    assert "不对你的身份开放" in await member.press("study:new")
    assert "不对你的身份开放" in await member.press("study:code:1")


async def test_moving_a_session_tells_everyone_expected(demo: Demo) -> None:
    sid = await add_session(demo, "集中学习:党章", "2026-11-26 14:30", "2026-11-26 16:30",
                            audience={"roles": ["leader"]})  # fmt: skip
    office = await demo.person("admin", "a1")
    await office.press(f"study:s:{sid}")
    assert "改到什么时间" in await office.tap("改时间")
    assert "没看懂" in await office.say("改天")
    assert "已修改,并通知了 4 人" in await office.say("2026-11-27 09:00-11:00")
    assert "11月27日(周五)09:00–11:00" in office.text
    moved = await pushes(demo, kind="study_change")
    assert len(moved) == 4 and all("学习安排有变" in text for _, _, text, _ in moved)
    assert all(f"study:go:{sid}" in buttons for *_, buttons in moved)
    await office.tap("改地点")
    assert "1 到 300 个字" in await office.send_file(Attachment("photo", "p1"))
    assert "1 到 300 个字" in await office.say("楼" * 301)
    assert "已修改" in await office.say("线上 https://meeting.example.cn/j/7")
    assert "线上:线上 https://meeting.example.cn/j/7" in office.text
    assert (await session_row(demo, sid)).online


async def test_readings_are_added_and_cleared(demo: Demo) -> None:
    sid = await add_session(demo, "集中学习:条例", "2026-11-26 14:30", "2026-11-26 16:30")
    office = await demo.person("admin", "a1")
    await office.press(f"study:rd:{sid}")
    assert "不超过 300" in await office.say("长" * 301)
    saved = await office.say(
        "《论群众路线》\nhttps://www.gov.cn/a.htm\n《条例》 https://www.gov.cn/b.htm"
    )
    assert "共 3 项" in saved and "· 《条例》 https://www.gov.cn/b.htm" in saved
    member = await demo.person("member", "m1")
    assert "《论群众路线》" in await member.say("学习")
    await office.press(f"study:rd:{sid}")
    assert "最多 10 项,现在已有 3 项" in await office.say("\n".join(f"第{n}篇" for n in range(8)))
    await office.press(f"study:rd:{sid}")
    assert "共 0 项" in await office.say("清空")


async def test_a_file_sent_as_a_reading_becomes_a_link_for_everyone(demo: Demo) -> None:
    sid = await add_session(demo, "集中学习:条例", "2026-11-26 14:30", "2026-11-26 16:30")
    files = {"f1": b"%PDF-1.4 the regulations"}

    async def channel_fetch(channel: str, ref: str) -> bytes | None:  # the chat app's store
        return files.get(ref)

    demo.services.fetch_media = channel_fetch
    office = await demo.person("admin", "a1")
    await office.press(f"study:rd:{sid}")
    assert "只能附图片或文件" in await office.send_file(Attachment("voice", "v1"))
    assert "没能取到" in await office.send_file(Attachment("file", "gone", "b.pdf"))
    assert "共 1 项" in await office.send_file(Attachment("file", "f1", "条例.pdf"))
    assert "共 1 项" in await office.say("完成")
    member = await demo.person("member", "m1")
    shown = await member.say("学习")
    link = next(word for word in shown.split() if "/files/" in word)
    assert "条例.pdf" in shown and link.startswith(demo.services.web_url)
    assert "学习材料" not in await office.say("完成")  # the dialogue ended: not a reading


async def test_cancelling_tells_everyone_and_sends_no_reminder(demo: Demo) -> None:
    sid = await add_session(demo, "集中学习:警示教育", "2026-11-26 14:30", "2026-11-26 16:30")
    office = await demo.person("admin", "a1")
    await office.press(f"study:s:{sid}")
    assert "会通知 29 位" in await office.tap("取消这场学习")
    assert "报名参加" in await office.tap("不取消")
    await office.tap("取消这场学习")
    assert "已取消“集中学习:警示教育”,并通知了 29 人" in await office.tap("确定取消")
    told = await pushes(demo, kind="study_change")
    assert len(told) == 29 and "取消" in told[0][2] and told[0][3] == []
    assert "已经取消" in await office.press(f"study:cxy:{sid}")
    assert "已经取消" in await office.press(f"study:et:{sid}")
    member = await demo.person("member", "m1")
    assert "已经取消" in await member.press(f"study:go:{sid}")
    assert "警示教育" not in await member.say("学习")


async def test_attendance_view_and_export(demo: Demo) -> None:
    sid = await add_session(demo, "集中学习:党章", "2026-11-25 14:00", "2026-11-25 16:00",
                            audience={"roles": ["cadre", "admin"]})  # fmt: skip
    cadre = await demo.person("cadre", "c1")  # 刘洋
    await cadre.press(f"study:lv:{sid}")
    await cadre.say('=HYPERLINK("http://x") 外出开会')
    office = await demo.person("admin", "a1")  # 周敏
    set_clock(demo, "2026-11-25 13:50")
    await office.say(f"签到 {await code_now(demo, sid)}")
    late = await demo.newcomer("c2", "迟到者", role="cadre")
    set_clock(demo, "2026-11-25 14:20")
    assert "迟到" in await late.say(f"签到 {await code_now(demo, sid)}")
    await office.press(f"study:at:{sid}")
    view = office.text
    assert "出席 1 人:周敏" in view and "迟到 1 人:迟到者" in view
    assert "请假 1 人:刘洋(=HYPERLINK" in view and "尚未签到 6 人" in view
    assert "缺席 " not in view  # not before the end
    set_clock(demo, "2026-11-25 16:01")
    assert "缺席 6 人" in await office.press(f"study:at:{sid}")
    await office.press(f"study:xl:{sid}")
    sent = [r for r in office.last if isinstance(r, File)]
    assert len(sent) == 1 and sent[0].name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(sent[0].data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["姓名", "部门", "身份", "出勤", "签到时间", "请假原因"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["周敏"][3] == "出席" and by_name["周敏"][4] == "2026-11-25 13:50"
    assert by_name["迟到者"][3] == "迟到"
    assert by_name["刘洋"][3] == "请假" and by_name["刘洋"][5].startswith("=HYPERLINK")
    assert sheet["F" + str(1 + list(by_name).index("刘洋") + 1)].data_type == "s"
    assert sum(row[3] == "缺席" for row in rows[1:]) == 6
    assert "已经结束" in await office.press(f"study:et:{sid}")
    assert (await answer_of(demo, sid, "迟到者")).late  # type: ignore[union-attr]


async def test_a_session_of_another_organization_is_not_found(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    forged = ("s:999", "at:x", "xl:", "go:999", "code:7", "lv:²", "ci:" + "9" * 30, "cxy:-1",
              "rd:2147483648")  # fmt: skip
    for payload in forged:
        assert "没有找到这场学习" in await office.press(f"study:{payload}"), payload
