"""Reminders before a session, and the answers to them: 我会参加 in one tap, 请假 with a
reason in one message that reaches the organizer. Only those who still owe an answer
are reminded; a moved session is reminded at its new time, a cancelled one not at all."""

from __future__ import annotations

from sqlmodel import select

from storage.study_models import SchedulerRun
from tests.conftest import Demo, Unit
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

LEADERS = {"roles": ["leader"]}  # 王立新, 陈建国 (the leader persona), 林秀英, 吴海燕


async def test_the_day_before_and_an_hour_before_to_those_who_owe(demo: Demo) -> None:
    sid = await add_session(demo, "专题研讨:群众观点", "2026-11-26 14:30", "2026-11-26 16:30",
                            audience=LEADERS)  # fmt: skip
    leader = await demo.person("leader", "l1")
    await leader.press(f"study:lv:{sid}")
    await leader.say("到市里开会")
    set_clock(demo, "2026-11-25 17:59")
    assert (await remind(demo)).messages == 0
    set_clock(demo, "2026-11-25 18:00")
    assert (await remind(demo)).sent == 1
    eve = await pushes(demo, kind="study_reminder")
    assert sorted(name for name, *_ in eve) == ["吴海燕", "林秀英", "王立新"]  # not 陈建国
    _, _, text, buttons = eve[0]
    assert text.startswith("学习提醒:明天") and "11月26日(周四)14:30–16:30" in text
    assert buttons == [f"study:go:{sid}", f"study:lv:{sid}"]
    assert (await remind(demo)).messages == 0  # a second pass sends nothing twice
    set_clock(demo, "2026-11-26 13:30")
    assert (await remind(demo)).messages == 3
    soon = [p for p in await pushes(demo, kind="study_reminder") if "快开始" in p[2]]
    assert len(soon) == 3


async def test_tapping_the_reminder_buttons(demo: Demo) -> None:
    sid = await add_session(demo, "集中学习:党章", "2026-11-26 14:30", "2026-11-26 16:30")
    set_clock(demo, "2026-11-25 18:00")
    await remind(demo)
    member = await demo.person("member", "m1")  # 赵晓雪
    [(_, _, _, buttons)] = await pushes(demo, kind="study_reminder", to="赵晓雪")
    answer = await tap_push(member, buttons, "go")
    assert "已记下你会参加" in answer and "三楼大会议室" in answer
    assert (await answer_of(demo, sid, "赵晓雪")).rsvp == "yes"  # type: ignore[union-attr]
    set_clock(demo, "2026-11-26 13:30")
    await remind(demo)
    soon = await pushes(demo, kind="study_reminder", to="赵晓雪")
    assert len(soon) == 2 and soon[1][3] == [f"study:lv:{sid}"]  # asked once, not twice
    assert "简单说明原因" in await tap_push(member, soon[1][3], "lv")
    assert "请用文字" in await member.say("   ")
    assert "太长了" in await member.say("忙" * 501)
    assert "已请假" in await member.say("临时接待上级检查")
    told = await pushes(demo, kind="study_leave")
    words = "赵晓雪 请假:“集中学习:党章”(11月26日(周四)14:30–16:30)。原因:临时接待上级检查"
    assert told == [("周敏", "study_leave", words, [])]
    assert "已经为“集中学习:党章”请过假了" in await member.press(f"study:lv:{sid}")
    assert "已撤销请假" in await member.press(f"study:go:{sid}")
    set_clock(demo, "2026-11-26 16:31")
    assert "已经结束了,不能再报名或请假" in await member.press(f"study:lv:{sid}")


async def test_leave_typed_after_the_end_and_by_someone_not_expected(demo: Demo) -> None:
    sid = await add_session(demo, "专题研讨", "2026-11-25 14:00", "2026-11-25 16:00",
                            audience=LEADERS, by=None)  # fmt: skip
    leader = await demo.person("leader", "l1")
    await leader.press(f"study:lv:{sid}")
    set_clock(demo, "2026-11-25 16:05")
    assert "已经结束了" in await leader.say("家里有事")
    member = await demo.person("member", "m1")
    set_clock(demo, "2026-11-25 12:00")
    assert "不在你的学习安排里" in await member.press(f"study:lv:{sid}")
    assert "不在你的学习安排里" in await member.press(f"study:go:{sid}")
    await leader.press(f"study:lv:{sid}")
    await leader.say("家里有事")
    # no creator: the campaign office hears of it, both of them
    assert sorted(n for n, *_ in await pushes(demo, kind="study_leave")) == ["周敏", "赵志刚"]


async def test_a_late_reminder_says_so_and_an_old_one_is_skipped(demo: Demo) -> None:
    await add_session(demo, "集中学习:条例", "2026-11-26 14:30", "2026-11-26 16:30",
                      audience=LEADERS)  # fmt: skip
    set_clock(demo, "2026-11-25 18:40")  # the service was down at 18:00
    report = await remind(demo)
    assert report.late == 1 and report.messages == 4
    assert all("晚发了" in text for _, _, text, _ in await pushes(demo))
    set_clock(demo, "2026-11-26 14:00")  # down again, from before 13:30 until past the grace
    await add_session(demo, "集中学习:另一场", "2026-11-27 09:00", "2026-11-27 10:00",
                      audience=LEADERS)  # fmt: skip
    set_clock(demo, "2026-11-26 18:50")  # 13:30's reminder is five hours old: skipped
    report = await remind(demo)
    assert report.skipped == 1 and report.late == 1  # 18:00 for tomorrow's, 50 minutes late


async def test_cancelled_and_moved_sessions(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    gone = await add_session(demo, "集中学习:取消的", "2026-11-26 14:30", "2026-11-26 16:30",
                             audience=LEADERS)  # fmt: skip
    moved = await add_session(demo, "集中学习:改期的", "2026-11-26 14:30", "2026-11-26 16:30",
                              audience=LEADERS)  # fmt: skip
    await office.press(f"study:cxy:{gone}")
    await office.press(f"study:et:{moved}")
    await office.say("2026-11-27 14:30-16:30")
    set_clock(demo, "2026-11-25 18:00")
    assert (await remind(demo)).messages == 0  # neither: one is off, the other moved a day
    set_clock(demo, "2026-11-26 18:00")
    assert (await remind(demo)).messages == 4
    assert all("11月27日" in text for _, _, text, _ in await pushes(demo, kind="study_reminder"))

    async def keys(session: object) -> list[str]:
        return list((await session.exec(select(SchedulerRun.key))).all())  # type: ignore[attr-defined]

    found = await demo.db.run(keys)
    assert any(k.startswith(f"session:{moved}:") and k.endswith(":eve") for k in found)
    assert not any(k.startswith(f"session:{gone}:") for k in found)


async def test_a_session_created_at_short_notice_is_announced_at_once(demo: Demo) -> None:
    office = await demo.person("admin", "a1")
    await office.say("学习管理")
    await office.tap("新建学习")
    await office.say("集中学习:临时加开")
    await office.say("2026-11-25 10:40-11:40")  # 40 minutes from now
    await office.say("三楼大会议室")
    await office.tap("领导班子成员")
    await office.tap("确定")
    assert "已立即提醒 4 人" in await office.tap("创建")
    assert len(await pushes(demo, kind="study_reminder")) == 4
    assert (await remind(demo)).messages == 0


async def test_on_each_database(unit_on_each: Unit) -> None:
    """The whole round on SQLite and PostgreSQL: made in chat, reminded, answered, checked
    in, seen in the attendance view."""
    unit = unit_on_each
    office = await unit.joined("admin", "a1", "周敏")
    member = await unit.joined("member", "m1", "赵晓雪")
    await office.say("学习管理")
    await office.tap("新建学习")
    await office.say("集中学习:党章")
    await office.say("2026-11-26 14:30-16:30")
    await office.say("三楼大会议室")
    await office.tap("党员群众")
    await office.tap("确定")
    assert "已创建学习 #1" in await office.tap("创建")
    set_clock(unit, "2026-11-25 18:00")
    assert (await remind(unit)).messages == 1
    [(name, _, _, buttons)] = await pushes(unit, kind="study_reminder")
    assert name == "赵晓雪" and "已记下你会参加" in await tap_push(member, buttons, "go")
    set_clock(unit, "2026-11-26 14:35")
    assert "签到成功" in await member.say(f"签到 {await code_now(unit, 1)}")
    assert "出席 1 人:赵晓雪" in await office.press("study:at:1")
    assert (await remind(unit)).skipped == 1  # 13:30's, an hour gone


def test_moments_follow_the_organization_settings() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from handlers.study.reminders import moments
    from storage.models import Organization
    from storage.study_models import StudySession

    start = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai, 07:30 in Berlin
    session = StudySession(id=7, org_id=1, title="T", starts_at=start, ends_at=start,
                           checkin_secret="s")  # fmt: skip
    org = Organization(name="O")
    stamp = int(start.timestamp())
    assert moments(session, org, ZoneInfo("Asia/Shanghai")) == [
        (f"session:7:{stamp}:eve", datetime(2026, 11, 30, 10, 0, tzinfo=UTC)),
        (f"session:7:{stamp}:soon", datetime(2026, 12, 1, 5, 30, tzinfo=UTC)),
    ]
    berlin = moments(session, org, ZoneInfo("Europe/Berlin"))
    assert berlin[0][1] == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    org.remind_day_before_at, org.remind_minutes_before = "", 30
    assert [k.rsplit(":", 1)[1] for k, _ in moments(session, org, ZoneInfo("UTC"))] == ["soon"]
    org.remind_day_before_at, org.remind_minutes_before = "25:00", 0
    assert moments(session, org, ZoneInfo("UTC")) == []


def test_typed_time_ranges() -> None:
    import pytest

    from handlers.study.when import WhenError, parse_span
    from tests.test_study_support import ZONE, local

    now = local("2026-11-25 10:00")
    wanted = (local("2026-11-26 14:30"), local("2026-11-26 16:30"))
    typed = (
        "2026-11-26 14:30-16:30",
        "2026-11-26 14:30 - 16:30",
        "2026-11-26 14:30至16:30",
        "２０２６-１１-２６ １４:３０~１６:３０",
        "2026-11-26 14:30 到 2026-11-26 16:30",
        "明天下午2:30到4:30",
    )
    for text in typed:
        assert parse_span(text, now, ZONE) == wanted, text
    assert parse_span("2026-11-26 14:30", now, ZONE) == (wanted[0], local("2026-11-26 16:30"))
    assert parse_span("2026-11-26 23:00 - 2026-11-27 01:00", now, ZONE)[1] == local(
        "2026-11-27 01:00"
    )
    for text, key in (("明天", "study.when_need_hours"), ("2026-11-26", "study.when_need_hours"),
                      ("2026-11-26 14:30-25:00", "time.no_such_time"), ("五十", "time.unreadable"),
                      ("2026-11-25 09:00-11:00", "time.in_past"),
                      ("2026-11-26 07:00-21:00", "study.when_too_long"),
                      ("2026-11-26 14:30-14:30", "time.end_before_start")):  # fmt: skip
        with pytest.raises(WhenError) as caught:
            parse_span(text, now, ZONE)
        assert caught.value.reason_key == key, text
