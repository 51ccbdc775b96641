"""A member's side of study: 学习 (hours against the minimum, the next obligation, the
calendar link, the next sessions), 自学 in one line, and the calendar feed itself."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.calendar_route import PATH, calendar_handler
from handlers.messages import Text
from handlers.study.demo import seed_study
from storage.repos import Repos
from tests.conftest import Demo
from tests.test_study_support import (  # noqa: F401  (fixtures: study_registered, the demo)
    add_session,
    clean_demo,
    code_now,
    member_named,
    set_clock,
    study_registered,
)

LINK = re.compile(r"http://127\.0\.0\.1:8080/calendar/([A-Za-z0-9_-]+)\.ics")


async def test_study_shows_hours_next_obligation_calendar_and_sessions(demo: Demo) -> None:
    member = await demo.person("member", "m1")  # 赵晓雪, staff: 18 hours this campaign
    first = await member.say("学习")
    assert "已学 0 / 应学 18 小时" in first and "还差 18 学时" in first
    assert "近期没有需要你参加" in first
    token = LINK.search(first)
    assert token is not None and len(token[1]) >= 22  # ≥ 128 bits, URL-safe
    assert token[1] in await member.say("学习")  # made once, then kept
    past = await add_session(demo, "集中学习:党章", "2026-11-25 10:30", "2026-11-25 12:00")
    for title, day in (("集中学习:第二讲", 26), ("专题研讨:第三讲", 27), ("集中学习:第四讲", 28),
                       ("集中学习:第五讲", 29)):  # fmt: skip
        await add_session(demo, title, f"2026-11-{day} 14:30", f"2026-11-{day} 16:00")
    await add_session(demo, "专题研讨:班子", "2026-11-26 09:00", "2026-11-26 11:00",
                      audience={"roles": ["leader"]})  # fmt: skip
    set_clock(demo, "2026-11-25 10:45")
    await member.say(f"签到 {await code_now(demo, past)}")  # late: 1.5 hours still count
    set_clock(demo, "2026-11-25 13:00")
    await member.say("自学 2 学习党章")
    view = await member.say("学习")
    assert "已学 3.5 / 应学 18 小时(集中学习 1.5,自学 2)" in view and "还差 14.5 学时" in view
    assert "下一项:11月26日(周四)14:30 集中学习:第二讲" in view
    assert "另有 1 场学习,见日历" in view and "班子" not in view
    assert "排名" not in view and "第一名" not in view  # nobody is ranked, ever
    cards = [r.text for r in member.last if isinstance(r, Text)][1:]
    assert len(cards) == 3 and "你还没有回复" in cards[0]
    await member.press(member.buttons()[1].payload or "")  # 请假 under the first card
    await member.say("出差")
    assert "下一项:11月27日(周五)14:30 专题研讨:第三讲" in await member.say("学习")
    assert "你已请假" in [r.text for r in member.last if isinstance(r, Text)][1]
    assert [b.label for b in member.buttons()][:1] == ["我会参加"]


async def test_self_study_in_one_line(demo: Demo) -> None:
    member = await demo.person("member", "m1")
    example = "自学 1.5 学习党章"
    assert example in await member.say("自学")
    assert example in await member.say("自学 学习党章 1.5")
    assert "0.25 到 12 小时" in await member.say("自学 0.1 学习党章")
    assert "0.25 到 12 小时" in await member.say("/log 13 学习党章")
    assert "请写上学习内容" in await member.say("自学 1.5")
    assert "太长了" in await member.say("自学 1 " + "党" * 201)
    logged = await member.say("自学 1.5 学习党章")
    assert "已记录自学 1.5 小时:学习党章" in logged and "已学 1.5 / 应学 18" in logged
    assert "已记录自学 2 小时" in await member.say("/log 2小时 《论群众路线》")
    assert "已记录自学 0.5 小时:history" in await member.say("/log 0.5 history")
    assert "今天已经记录了 4 小时" in await member.say("自学 9 再学一遍")
    assert "已学 12 / 应学 18" in await member.say("自学 8 学习焦裕禄事迹")
    assert "已记录自学 1.5 小时" not in await member.say("自学 １.５ 学习")  # today is full


async def test_the_calendar_feed(demo: Demo) -> None:
    await add_session(
        demo,
        "集中学习:党章;条例,与“四风”" + "长" * 40,
        "2026-11-26 14:30",
        "2026-11-26 16:00",
        place="https://meeting.example.cn/j/9",
        online=True,
    )
    await add_session(demo, "专题研讨:班子", "2026-11-27 09:00", "2026-11-27 11:00",
                      audience={"roles": ["leader"]})  # fmt: skip
    member = await demo.person("member", "m1")
    token = LINK.search(await member.say("学习"))
    assert token is not None
    app = web.Application()
    app.router.add_get(PATH, calendar_handler(demo.db, demo.services))
    async with TestClient(TestServer(app)) as client:
        for bad in ("nope", "x" * 32, token[1][:-1] + "!", "a" * 100):
            assert (await client.get(f"/calendar/{bad}.ics")).status == 404
        answer = await client.get(f"/calendar/{token[1]}.ics")
        assert answer.status == 200 and answer.content_type == "text/calendar"
        body = await answer.text()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert "SUMMARY:集中学习:党章\\;条例\\,与“四风”" in unfolded
    assert "DTSTART:20261126T063000Z" in unfolded and "DTEND:20261126T080000Z" in unfolded
    assert "URL:https://meeting.example.cn/j/9" in unfolded and "班子" not in unfolded
    assert "X-WR-CALNAME:临江县规划局 学习安排" in unfolded

    gone = await member_named(demo, "赵晓雪")
    gone.active = False
    await demo.db.run(lambda session: session.merge(gone))
    async with TestClient(TestServer(app)) as client:
        assert (await client.get(f"/calendar/{token[1]}.ics")).status == 404


async def test_the_demo_has_sessions_with_attendance(demo: Demo) -> None:
    async def seed(session: object) -> None:
        repos = Repos(session)  # type: ignore[arg-type]
        people = {m.name: m for m in await repos.members.in_org(demo.org_id)}
        await seed_study(repos, demo.org_id, people, demo.clock().date())

    await demo.db.run(seed)
    member = await demo.person("member", "m1")
    view = await member.say("学习")
    assert "自学 2.5" in view and "集中学习 4.5" in view  # two of the past sessions
    assert "集中学习:《党政机关厉行节约反对浪费条例》" in view
    office = await demo.person("admin", "a1")
    assert "3 场未结束" in await office.say("学习管理")
    past = next(b for b in office.buttons() if "镜鉴" in b.label)
    await office.press(past.payload or "")
    attendance = await office.tap("签到情况")
    assert "迟到" in attendance and "请假" in attendance and "缺席" in attendance
