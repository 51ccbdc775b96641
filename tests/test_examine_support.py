"""What the examine-stage transcripts share: the feature and its reminder source registered
for the test (until handlers/registry.py lists them), the demo with overseeing leaders set,
a chat as any named demo person, and the satisfaction rating's survey stubbed.

No tests here; the examine test modules import these fixtures and helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import bot.scheduler
from handlers import core, examine, registry
from handlers.admin_ops import create_invite
from handlers.context import Context
from handlers.examine import minutes
from handlers.examine.demo import assign_overseers
from handlers.schedule import Report, run_due
from storage.examine_models import Meeting, Survey, SurveyStatus, Talk
from storage.models import Member
from storage.repos import Repos
from storage.study_models import Submission
from tests.conftest import Demo
from tests.transcript import Chat


@pytest.fixture(autouse=True)
def examine_registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The examine feature and its source, as handlers/registry.py will list them."""
    if examine.feature not in registry.FEATURES:
        rest = tuple(f for f in registry.FEATURES if f is not core.feature)
        monkeypatch.setattr(registry, "FEATURES", (*rest, examine.feature, core.feature))
    if examine.examine_reminders not in registry.DUE_SOURCES:
        sources = (*registry.DUE_SOURCES, examine.examine_reminders)
        monkeypatch.setattr(registry, "DUE_SOURCES", sources)
        monkeypatch.setattr(bot.scheduler, "DUE_SOURCES", sources)
    yield


@pytest.fixture(name="demo")
async def overseen_demo(demo: Demo) -> Demo:
    """The demo unit with its departments' overseeing leaders set (handlers/examine/demo.py)."""
    await demo.db.run(lambda s: assign_overseers(Repos(s), demo.org_id))
    return demo


@pytest.fixture(name="rating")
def rating_stub(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The survey the meeting opens, made without the surveys feature; records each call."""
    calls: list[dict[str, Any]] = []

    async def fake(ctx: Context, org_id: int, audience: dict[str, Any], title: str) -> Survey:
        calls.append({"org": org_id, "audience": audience, "title": title})
        survey = Survey(
            org_id=org_id,
            title=title,
            template="satisfaction",
            audience=audience,
            opens_at=ctx.now(),
            closes_at=ctx.now(),
            status=SurveyStatus.open,
        )
        ctx.db.session.add(survey)
        await ctx.db.session.flush()
        return survey

    monkeypatch.setattr(minutes, "open_rating", fake)
    monkeypatch.setattr(minutes, "fewest_raters", lambda: 5)
    return calls


async def person(demo: Demo, name: str, user: str) -> Chat:
    """A chat as this demo person, joined with an invite of their own."""

    async def make(session: AsyncSession) -> str:
        repos = Repos(session)
        member = (await session.exec(select(Member).where(Member.name == name))).one()
        invite = await create_invite(repos, member.org_id, member.role, member=member, actor="test")
        return invite.code

    chat = Chat(demo.dispatcher, user=user, name=None)
    await chat.say(f"/start {await demo.db.run(make)}")
    assert "欢迎" in chat.text, chat.text
    return chat


async def member_id(demo: Demo, name: str) -> int:
    async def read(session: AsyncSession) -> int:
        found = (await session.exec(select(Member).where(Member.name == name))).one()
        return found.id or 0

    return await demo.db.run(read)


async def rows_of(demo: Demo, model: type[Any]) -> list[Any]:
    """Every row of Talk, Meeting, Submission, … in id order."""

    async def read(session: AsyncSession) -> list[Any]:
        return list((await session.exec(select(model).order_by(model.id))).all())

    return await demo.db.run(read)


async def talks(demo: Demo) -> list[Talk]:
    return await rows_of(demo, Talk)


async def meetings(demo: Demo) -> list[Meeting]:
    return await rows_of(demo, Meeting)


async def submissions(demo: Demo) -> list[Submission]:
    return await rows_of(demo, Submission)


async def scheduler(demo: Demo) -> Report:
    """One pass of every due source at the demo clock's time."""
    return await run_due(demo.db, demo.services, registry.DUE_SOURCES, demo.clock())
