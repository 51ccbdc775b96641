"""Buttons for things of one's own organization that are someone else's (issue 10): a
colleague's opinion, an opinion assigned to another leader, another cadre's item, an item
another leader reviews, a talk between two others, a survey, deadline or study session
for other people. Each gets a clear refusal in the person's language, shows nothing of
the thing, and writes nothing (tests/test_chat_forged.py does other organizations')."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from handlers.admin_ops import create_invite
from handlers.schedule import job_context
from handlers.surveys.common import open_survey_from_template
from storage.examine_models import Talk
from storage.ledger_models import ItemStatus
from storage.models import Role
from storage.opinion_models import Opinion, Status
from storage.repos import Repos
from storage.study_models import Deadline, DeadlineKind, StudySession
from tests.transcript import Chat
from tests.twin_world import World, build, hold_meetings

# who taps (a demo person who is none of the parties), what, the refusal, what stays hidden
CASES = [
    ("钱明", "op:mv:{mine}", "没有找到这条意见", "报表太多"),
    ("钱明", "op:ma:{mine}", "没有找到这条意见", "报表太多"),
    ("林秀英", "op:v:n{assigned}", "没有找到这条意见", "材料清单"),
    ("林秀英", "op:rp:n{assigned}", "没有找到这条意见", "材料清单"),
    ("林秀英", "op:cl:n{assigned}", "没有找到这条意见", "材料清单"),
    ("孙丽", "lg:p:{tasked}:50", "不是你负责的", ""),
    ("孙丽", "lg:ev:{tasked}", "不是你负责的", ""),
    ("孙丽", "lg:rv:{tasked}", "不是你负责的", ""),
    ("林秀英", "lg:ok:{reviewed}", "由它的责任领导或活动办负责", ""),
    ("林秀英", "lg:ret:{reviewed}", "由它的责任领导或活动办负责", ""),
    ("钱明", "ex:tc:{talk}", "不是这次谈话的一方", "工作作风"),
    ("钱明", "ex:tx:{talk}", "不是这次谈话的一方", "工作作风"),
    ("钱明", "sv:go:{leaders_survey}", "不在你的参加范围内", ""),
    ("钱明", "dl:sub:{self_exam}", "不需要你提交", ""),
    ("钱明", "study:go:{team_session}", "不在你的学习安排里", ""),
    ("钱明", "study:lv:{team_session}", "不在你的学习安排里", ""),
]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[World, dict[str, int], dict[str, Chat]]]:
    found, _ = await build(tmp_path)
    await hold_meetings(found)
    org = found.orgs[0]

    async def look(db: Repos) -> tuple[dict[str, int], dict[str, str]]:
        people = {m.name: m for m in await db.members.in_org(org)}
        survey = await open_survey_from_template(
            job_context(db, found.services), org, "effect", {"roles": [Role.leader]}
        )
        first = select(Opinion).where(Opinion.org_id == org)
        ids = {
            "mine": await _id(db, first.where(Opinion.author_id == people["赵晓雪"].id)),
            "assigned": await _id(db, first.where(Opinion.status == Status.assigned)),
            "talk": await _id(db, select(Talk).where(Talk.org_id == org)),
            "leaders_survey": survey.id or 0,
            "self_exam": await _id(db, select(Deadline).where(
                Deadline.org_id == org, Deadline.kind == DeadlineKind.self_exam)),
        }  # fmt: skip
        sessions = select(StudySession).where(StudySession.org_id == org,
                                              StudySession.starts_at > found.clock())  # fmt: skip
        team = [s for s in (await db.session.exec(sessions)).all() if s.audience.get("roles")]
        ids["team_session"] = team[0].id or 0
        for item in await db.ledger.items([org]):
            if item.person_id == people["刘洋"].id and item.status == ItemStatus.in_progress:
                ids.setdefault("tasked", item.id or 0)
            if item.status == ItemStatus.awaiting_review:
                assert item.leader_id == people["陈建国"].id
                ids["reviewed"] = item.id or 0
        codes = {}
        for name in ("钱明", "林秀英", "孙丽"):
            member = people[name]
            invite = await create_invite(db, org, member.role, member=member, actor="test")
            codes[name] = invite.code
        return ids, codes

    ids, codes = await found.run(look)
    chats = {}
    for name, code in codes.items():
        chats[name] = Chat(found.unit.dispatcher, f"colleague-{name}")
        assert "欢迎" in await chats[name].say(f"/start {code}")
    yield found, ids, chats
    await found.db.dispose()


async def _id(db: Repos, query: Any) -> int:
    row = (await db.session.exec(query)).first()
    assert row is not None, query
    return int(row.id)


async def test_someone_elses_things_are_refused_clearly(
    world: tuple[World, dict[str, int], dict[str, Chat]],
) -> None:
    found, ids, chats = world
    wrong = []
    for who, payload, refusal, hidden in CASES:
        tapped = payload.format(**ids)
        found.writes.clear()
        with found.watching():
            said = await chats[who].press(tapped)
        written = [w for w in found.writes if "dialogue_state" not in w]
        if refusal not in said or (hidden and hidden in said) or written:
            wrong.append(f"{who} tapped {tapped}: {said[:100]!r}, wrote {written}")
    assert not wrong, "\n".join(wrong)


async def test_the_parties_themselves_are_let_in(
    world: tuple[World, dict[str, int], dict[str, Chat]],
) -> None:
    """The same buttons work for the people they belong to: the refusals above are about
    who taps, not about the buttons."""
    found, ids, _ = world
    owners = {"赵晓雪": "member", "陈建国": "leader", "刘洋": "cadre"}

    async def codes(db: Repos) -> dict[str, str]:
        people = {m.name: m for m in await db.members.in_org(found.orgs[0])}
        made = {}
        for name, role in owners.items():
            invite = await create_invite(db, found.orgs[0], role, member=people[name],
                                         actor="test")  # fmt: skip
            made[name] = invite.code
        return made

    chats = {}
    for name, code in (await found.run(codes)).items():
        chats[name] = Chat(found.unit.dispatcher, f"owner-{name}")
        await chats[name].say(f"/start {code}")
    assert "报表太多" in await chats["赵晓雪"].press(f"op:mv:{ids['mine']}")
    assert "确认" in await chats["赵晓雪"].press(f"ex:tc:{ids['talk']}")
    assert "材料清单" in await chats["陈建国"].press(f"op:v:n{ids['assigned']}")
    assert "已通过验收" in await chats["陈建国"].press(f"lg:ok:{ids['reviewed']}")
    assert "进度 50%" in await chats["刘洋"].press(f"lg:p:{ids['tasked']}:50")
