"""The realistic mix of target 1: what one cadre does in a day with the bot, on repeat.

/help; an opinion, start to finish (named: the mode, the target, the category, the text,
done, submit); a check-in with the room's code; a one-line progress report on their own
rectification item. Database writes included: every opinion step saves the draft, the
submission writes the opinion and its first message, the check-in writes attendance (the
first time; after that the member is told they are already in, as they would be), every
progress report writes a report and moves the item.

The simulated people are cadres (a cadre may do everything a member does, and reports
progress on items); each is responsible for one item. The database is seeded fresh for
each run, so the ids below are known: the organization is 1, items 1..users in order.
The check-in code is the one the organizer's screen shows now, computed from the seeded
session's secret, as a member would read it off the wall.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bench.fakeapi import Step
from handlers.study.checkin import code_at
from storage.types import utcnow

ORG_NAME = "基准测试规划局"
SESSION_SECRET = "bench-session-secret-" + "0" * 40
OPINION = "食堂中午排队时间太长,建议分部门错峰就餐,并公布每周菜单。"

# Each scene is one thing a person does; people start at a scene's first step.
SCENES: tuple[tuple[Step, ...], ...] = (
    (Step("message", "/help"),),
    (
        Step("message", "/opinion"),
        Step("callback_query", "op:m:n"),
        Step("callback_query", "op:t:general:n"),
        Step("callback_query", "op:c:suggestion:n"),
        Step("message", OPINION),
        Step("callback_query", "op:done:n"),
        Step("callback_query", "op:send:n"),
    ),
    (Step("message", "/checkin {code}"),),
    (Step("message", "/progress {item} {percent} 已完成第{percent}%的整改工作"),),
)
MIX: list[Step] = [step for scene in SCENES for step in scene]
STARTS: list[int] = [sum(len(s) for s in SCENES[:i]) for i in range(len(SCENES))]
# What the echo bots get: the same updates, a tap sent as its button's text.
ECHO: list[Step] = [Step("message", s.text if s.kind == "message" else "好") for s in MIX]
ECHO_NAMES = {"{code}": "123456", "{item}": "1", "{percent}": "50"}


class Filler:
    """Fills a step's blanks for one person: today's code, their item, the next percent."""

    def __init__(self) -> None:
        self._reports: dict[int, int] = {}

    def __call__(self, person: int, text: str) -> str:
        if "{" not in text:
            return text
        if "{percent}" in text:
            count = self._reports[person] = self._reports.get(person, 0) + 1
            text = text.replace("{percent}", str(10 + count * 10 % 90))
        return text.replace("{item}", str(person + 1)).replace(
            "{code}", code_at(SESSION_SECRET, utcnow())
        )


def echo_fill(_person: int, text: str) -> str:
    for blank, value in ECHO_NAMES.items():
        text = text.replace(blank, value)
    return text


async def seed(session: AsyncSession, *, users: int, members: int, first_chat: int) -> None:
    """One organization in its study stage; ``users`` cadres with a Telegram account and an
    item each, a main leader, the rest members; one study session running now."""
    from handlers.admin_ops import create_org
    from storage.ledger_models import RectificationItem
    from storage.models import Member
    from storage.repos import Repos
    from storage.study_models import StudySession

    repos = Repos(session)
    org = await create_org(repos, ORG_NAME, actor="bench")
    assert org.id == 1, "a fresh database: the mix names organization 1"
    # No reminders while the bench runs: a push would count as a reply in someone's chat.
    org.remind_day_before_at, org.remind_minutes_before = "", 0
    today = date.today()
    await repos.orgs.set_stage(org.id, "study", today - timedelta(days=20), today + timedelta(90))
    people = [Member(org_id=org.id, name=f"成员{i + 1}", role="cadre") for i in range(users)]
    leader = Member(org_id=org.id, name="李书记", role="leader", is_main_leader=True)
    rest = [
        Member(org_id=org.id, name=f"成员{users + i + 1}", role="member")
        for i in range(max(0, members - users - 1))
    ]
    session.add_all([*people, leader, *rest])
    await session.flush()
    for index, member in enumerate(people):
        await repos.members.bind("telegram", str(first_chat + index), member)
    for index, member in enumerate(people):
        assert leader.id is not None and member.id is not None
        item = RectificationItem(
            org_id=org.id, content=f"整改事项{index + 1}", goal="按期完成", measures="逐项落实",
            deadline=today + timedelta(days=60), leader_id=leader.id, person_id=member.id,
        )  # fmt: skip
        await repos.ledger.add(item)
        assert item.id == index + 1, "a fresh database: person i reports on item i + 1"
    now = utcnow()
    session.add(
        StudySession(
            org_id=org.id, title="第二专题集中学习", place="三楼会议室",
            starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=6),
            checkin_secret=SESSION_SECRET,
        )
    )  # fmt: skip
