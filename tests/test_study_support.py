"""What the study transcripts share: the feature registered for the test (until the
registry lists it), sessions made in one line, the scheduler run by hand, the outbox read.

No tests here; the study test modules import these fixtures and helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.scheduler
from handlers import core, registry
from handlers import study as study_feature
from handlers.schedule import Report, job_context, run_due
from handlers.study.checkin import code_at
from handlers.study.ops import create_session
from storage.models import Member, OutboxMessage
from storage.repos import Repos
from storage.study_models import Attendance, SchedulerRun, SelfStudy, StudySession
from tests.conftest import Demo, Unit
from tests.transcript import Chat

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def study_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The study feature and its reminder source, as handlers/registry.py will list them."""
    if study_feature.feature not in registry.FEATURES:
        rest = tuple(f for f in registry.FEATURES if f is not core.feature)
        monkeypatch.setattr(registry, "FEATURES", (*rest, study_feature.feature, core.feature))
    if study_feature.session_reminders not in registry.DUE_SOURCES:
        sources = (*registry.DUE_SOURCES, study_feature.session_reminders)
        monkeypatch.setattr(registry, "DUE_SOURCES", sources)
        monkeypatch.setattr(bot.scheduler, "DUE_SOURCES", sources)
    yield


@pytest.fixture(name="demo")
async def clean_demo(demo: Demo) -> Demo:
    """The demo unit without the demo's own study (handlers/study/demo.py), should the demo
    come with it: these transcripts count every session, reminder and hour they make."""

    async def wipe(session: AsyncSession) -> None:
        for table in (Attendance, SelfStudy, StudySession):
            await session.exec(delete(table))
        await session.exec(delete(SchedulerRun).where(col(SchedulerRun.key).startswith("session:")))

    await demo.db.run(wipe)
    return demo


def local(text: str) -> datetime:
    """ "2026-11-26 14:30" in Shanghai, as UTC."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=ZONE).astimezone(UTC)


def set_clock(demo: Demo | Unit, text: str) -> None:
    demo.clock.now = local(text)


async def add_session(
    demo: Demo | Unit,
    title: str,
    start: str,
    end: str,
    *,
    place: str = "三楼大会议室",
    online: bool = False,
    audience: dict[str, Any] | None = None,
    by: str | None = "周敏",
) -> int:
    """A session made as the chat makes one (reminders settled), by the office's 周敏."""

    async def make(session: AsyncSession) -> int:
        repos = Repos(session)
        org = await repos.orgs.get(demo.org_id)
        assert org is not None
        creator = await by_name(repos, by) if by else None
        ctx = job_context(repos, demo.services)
        made, _ = await create_session(
            ctx, org, title=title, starts_at=local(start), ends_at=local(end), place=place,
            online=online, audience=audience, created_by=creator, actor="test",
        )  # fmt: skip
        assert made.id is not None
        return made.id

    return await demo.db.run(make)


async def by_name(repos: Repos, name: str) -> Member:
    query = select(Member).where(Member.name == name)
    return (await repos.session.exec(query)).one()


async def member_named(demo: Demo | Unit, name: str) -> Member:
    return await demo.db.run(lambda s: by_name(Repos(s), name))


async def remind(demo: Demo | Unit) -> Report:
    """One scheduler pass over the study reminders, at the demo clock's time."""
    sources = [study_feature.session_reminders]
    return await run_due(demo.db, demo.services, sources, demo.clock())


async def pushes(demo: Demo | Unit, *, kind: str | None = None, to: str | None = None) -> list[Any]:
    """Queued pushes, oldest first: (member name, kind, text, [button payloads])."""

    async def read(session: AsyncSession) -> list[Any]:
        query = select(OutboxMessage, Member).join(
            Member, col(Member.id) == OutboxMessage.member_id
        )
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        if to is not None:
            query = query.where(Member.name == to)
        found = (await session.exec(query.order_by(col(OutboxMessage.id)))).all()
        return [
            (m.name, row.kind, row.payload[0]["text"],
             [b["payload"] for line in row.payload[0]["buttons"] for b in line])
            for row, m in found
        ]  # fmt: skip

    return await demo.db.run(read)


async def session_row(demo: Demo | Unit, session_id: int) -> StudySession:
    found = await demo.db.run(lambda s: s.get(StudySession, session_id))
    assert found is not None
    return found


async def answer_of(demo: Demo | Unit, session_id: int, name: str) -> Attendance | None:
    async def read(session: AsyncSession) -> Attendance | None:
        member = await by_name(Repos(session), name)
        return await Repos(session).study.attendance(session_id, member.id or 0)

    return await demo.db.run(read)


async def code_now(demo: Demo | Unit, session_id: int, steps_back: int = 0) -> str:
    session = await session_row(demo, session_id)
    return code_at(session.checkin_secret, demo.clock(), steps_back)


async def tap_push(chat: Chat, payloads: list[str], action: str) -> str:
    """Press the button of a pushed message whose payload has this action (go, lv, ci)."""
    for payload in payloads:
        if payload.split(":")[1] == action:
            return await chat.press(payload)
    raise AssertionError(f"no {action} button in {payloads}")
