"""Check-in: the rotating code shown in the room, or one tap for an online session; once
per member per session, late after ten minutes, and a clear answer for every mistake."""

from __future__ import annotations

from handlers.study.checkin import code_at, matches
from tests.conftest import Demo
from tests.test_study_support import (  # noqa: F401  (fixtures: study_registered, the demo)
    add_session,
    answer_of,
    clean_demo,
    code_now,
    pushes,
    remind,
    set_clock,
    study_registered,
    tap_push,
)
from tests.transcript import Clock


def test_the_code_rotates_every_minute_and_the_last_one_still_counts() -> None:
    secret, now = "ab" * 32, Clock()()
    code = code_at(secret, now)
    assert len(code) == 6 and code.isdigit()
    assert code_at(secret, now.replace(second=59)) == code
    assert matches(secret, code, now) == "ok"
    assert matches(secret, code_at(secret, now, 1), now) == "ok"
    assert matches(secret, code_at(secret, now, 2), now) == "old"
    assert matches("cd" * 32, code, now) is None or code_at("cd" * 32, now) == code


async def test_check_in_with_the_code_shown_in_the_room(demo: Demo) -> None:
    sid = await add_session(demo, "集中学习:党章", "2026-11-25 14:30", "2026-11-25 16:30")
    member = await demo.person("member", "m1")
    set_clock(demo, "2026-11-25 13:59")
    assert "还没开始,11月25日(周三)14:00 起" in await member.say("签到 123456")
    office = await demo.person("admin", "a1")
    assert "14:00" in await office.press(f"study:code:{sid}")
    set_clock(demo, "2026-11-25 14:05")
    shown = await office.press(f"study:code:{sid}")
    code = await code_now(demo, sid)
    assert f"{code[:3]} {code[3:]}" in shown
    assert "6 位数字" in await member.say("签到 12345")
    assert "6 位数字" in await member.say("签到 abcdef")
    wrong = "000000" if code != "000000" else "111111"
    assert "签到码不对" in await member.say(f"签到 {wrong}")
    assert "过期" in await member.say(f"签到 {await code_now(demo, sid, 5)}")
    assert "签到成功:“集中学习:党章”,14:05。" in await member.say(f"/checkin {code[:3]} {code[3:]}")
    assert "已经在 14:05 签到过" in await member.say(f"签到 {code}")
    cadre = await demo.person("cadre", "c1")
    set_clock(demo, "2026-11-25 14:41")
    assert "(迟到)" in await cadre.say(f"签到 {await code_now(demo, sid, 1)}")  # last minute's
    assert (await answer_of(demo, sid, "刘洋")).late  # type: ignore[union-attr]
    assert not (await answer_of(demo, sid, "赵晓雪")).late  # type: ignore[union-attr]
    set_clock(demo, "2026-11-25 16:31")
    assert "已经结束,签到已关闭" in await office.say(f"签到 {await code_now(demo, sid)}")
    assert "已经结束" in await office.press(f"study:code:{sid}")


async def test_asking_for_the_code_and_the_wrong_sessions(demo: Demo) -> None:
    mine = await add_session(demo, "集中学习:全体", "2026-11-25 14:30", "2026-11-25 16:30")
    team = await add_session(demo, "专题研讨:班子", "2026-11-25 14:30", "2026-11-25 16:30",
                             audience={"roles": ["leader"]})  # fmt: skip
    also = await add_session(demo, "集中学习:科员", "2026-11-25 14:00", "2026-11-25 15:00",
                             audience={"ranks": ["staff"]})  # fmt: skip
    member = await demo.person("member", "m1")  # 赵晓雪, staff: expected at two of the three
    set_clock(demo, "2026-11-25 10:30")
    assert "现在没有正在签到的学习" in await member.say("签到 123456")
    set_clock(demo, "2026-11-25 14:20")
    assert "不在你的安排里" in await member.say(f"签到 {await code_now(demo, team)}")
    assert "6 位签到码" in await member.say("签到")
    assert "签到成功:“集中学习:科员”" in await member.say(await code_now(demo, also))
    assert "签到成功:“集中学习:全体”" in await member.say(f"签到 {await code_now(demo, mine)}")
    newcomer = await demo.newcomer("n1", "新同志", role="cadre")  # expected at none but 全体
    assert "签到成功" in await newcomer.say(f"签到 {await code_now(demo, mine)}")
    leader = await demo.person("leader", "l1")
    assert "6 位签到码" in await leader.press(f"study:ci:{team}")  # in the room: the code
    assert "签到成功" in await leader.say(await code_now(demo, team))
    assert "不在你的学习安排里" in await member.press(f"study:ci:{team}")


async def test_too_many_wrong_codes_wait(demo: Demo) -> None:
    sid = await add_session(demo, "集中学习:党章", "2026-11-25 14:30", "2026-11-25 16:30")
    member = await demo.person("member", "m1")
    set_clock(demo, "2026-11-25 14:30")
    code = await code_now(demo, sid)
    wrong = [f"{n:06d}" for n in range(20) if f"{n:06d}" != code][:10]
    for guess in wrong:
        await member.say(f"签到 {guess}")
    assert "错误次数太多" in await member.say(f"签到 {code}")


async def test_online_sessions_check_in_with_one_tap(demo: Demo) -> None:
    sid = await add_session(demo, "线上学习:案例通报", "2026-11-26 19:30", "2026-11-26 21:00",
                            place="https://meeting.example.cn/j/1", online=True,
                            audience={"ranks": ["staff"]})  # fmt: skip
    set_clock(demo, "2026-11-25 18:00")
    await remind(demo)
    [(_, _, text, buttons)] = await pushes(demo, kind="study_reminder", to="赵晓雪")
    assert "线上:https://meeting.example.cn/j/1" in text
    member = await demo.person("member", "m1")
    assert "还没开始" in await tap_push(member, buttons, "ci")
    set_clock(demo, "2026-11-26 19:31")
    card = await member.say("学习")
    assert "线上学习:案例通报" in card and "签到" in [b.label for b in member.buttons()]
    assert "签到成功:“线上学习:案例通报”,19:31。" in await member.tap("签到")
    assert "已经在 19:31 签到过" in await member.press(f"study:ci:{sid}")
    assert "你已签到(19:31)" in await member.say("学习")
    set_clock(demo, "2026-11-26 21:01")
    assert "已经结束" in await member.press(f"study:ci:{sid}")
