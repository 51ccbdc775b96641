"""The demo unit's study: three sessions behind it with believable attendance (most on
time, a few late, one or two on leave with a reason), three ahead, and some self-study —
so 学习 and 学习管理 show real work at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from handlers.study.checkin import new_secret
from handlers.study.reminders import moments
from storage.models import Member, Rank, Role
from storage.repos import Repos
from storage.study_models import Attendance, SchedulerRun, SelfStudy, StudySession

ZONE = ZoneInfo("Asia/Shanghai")
OFFICE = "周敏"
TEAM: dict[str, list[str]] = {"roles": [Role.leader, Role.admin]}
READINGS = [
    {"title": "《论群众路线——重要论述摘编》", "url": ""},
    {"title": "《党政机关厉行节约反对浪费条例》", "url": "https://www.gov.cn/jrzg/2013-11/25/content_2534293.htm"},
]  # fmt: skip

# days from today, start, end, title, place, online, audience, readings
Audience = dict[str, list[str]]
SESSIONS: tuple[tuple[int, str, str, str, str, bool, Audience, list[dict[str, str]]], ...] = (
    (-21, "14:30", "17:00", "集中学习:党章和《论群众路线——重要论述摘编》", "三楼大会议室",
     False, {}, READINGS[:1]),
    (-14, "09:00", "11:30", "专题研讨:为了谁、依靠谁、我是谁", "党组会议室", False, TEAM, []),
    (-7, "15:00", "17:00", "集中学习:观看警示教育片《镜鉴》", "三楼大会议室", False, {}, []),
    (1, "14:30", "17:00", "集中学习:《党政机关厉行节约反对浪费条例》", "三楼大会议室",
     False, {}, READINGS[1:]),
    (3, "09:00", "11:30", "专题研讨:马克思主义群众观点", "党组会议室", False, TEAM, READINGS[:1]),
    (6, "19:30", "21:00", "线上学习:“四风”典型案例通报", "https://meeting.example.cn/j/5820913",
     True, {"ranks": [str(Rank.staff)]}, []),
)  # fmt: skip
LEAVE_REASONS = ("到省厅参加业务培训", "带队现场踏勘", "病假")
SELF_STUDY = (
    ("赵晓雪", 12, 1.5, "学习党章"),
    ("赵晓雪", 5, 1.0, "《论群众路线——重要论述摘编》第一部分"),
    ("刘洋", 9, 2.0, "学习焦裕禄同志事迹"),
)


def _at(day: date, clock: str) -> datetime:
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


async def seed_study(db: Repos, org_id: int, people: dict[str, Member], today: date) -> None:
    org = await db.orgs.get(org_id)
    assert org is not None
    if (
        await db.session.exec(select(StudySession.id).where(StudySession.org_id == org_id))
    ).first():
        return  # seeded already
    office = people.get(OFFICE)
    everyone = await db.members.in_org(org_id)
    started = datetime.combine(today, time(0), tzinfo=ZONE).astimezone(UTC)
    for days, start, end, title, place, online, audience, readings in SESSIONS:
        day = today + timedelta(days=days)
        session = await db.study.add(
            StudySession(
                org_id=org_id, kind="seminar" if "研讨" in title else "group", title=title,
                place=place, online=online, starts_at=_at(day, start), ends_at=_at(day, end),
                audience=dict(audience), readings=list(readings), checkin_secret=new_secret(),
                created_by=office.id if office else None,
                created_at=started - timedelta(days=30),
            )
        )  # fmt: skip
        for key, at in moments(session, org, ZONE):
            if at < started:  # a demo's past is not reminded of on its first start
                await db.study.mark_run(SchedulerRun(key=key, due_at=at, ran_at=at,
                                                     outcome="skipped"))  # fmt: skip
        expected = [m for m in everyone if db.study.includes(session.audience, m)]
        for index, member in enumerate(expected):
            await _answer(db, session, member, index, past=days < 0)
    await _self_study(db, people, today)


async def _answer(
    db: Repos, session: StudySession, member: Member, index: int, *, past: bool
) -> None:
    """A fixed pattern, so the demo reads the same every time: every seventh person on
    leave, every fifth late, every eleventh absent; ahead, a few have answered already."""
    assert session.id is not None and member.id is not None
    row = Attendance(session_id=session.id, member_id=member.id)
    if index % 7 == 3:
        row.rsvp, row.leave_reason = "leave", LEAVE_REASONS[index % len(LEAVE_REASONS)]
    elif past and index % 11 == 6:
        return  # absent
    elif past:
        late = index % 5 == 4
        row.rsvp = "yes"
        row.checked_in_at = session.starts_at + timedelta(minutes=14 if late else -8 + index % 6)
        row.late = late
    elif index % 3 == 0 and member.name not in ("赵晓雪", "刘洋"):
        row.rsvp = "yes"  # the personas have not answered yet: their buttons are there to try
    else:
        return
    await db.study.add(row)


async def _self_study(db: Repos, people: dict[str, Member], today: date) -> None:
    for name, days, hours, topic in SELF_STUDY:
        member = people.get(name)
        if member is not None and member.id is not None:
            await db.study.add(SelfStudy(member_id=member.id, hours=hours, topic=topic,
                                         studied_on=today - timedelta(days=days)))  # fmt: skip
