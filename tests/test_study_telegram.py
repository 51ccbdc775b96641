"""Study through the real Telegram path: the running service's scheduler queues a
reminder, delivery sends it to the fake Bot API, the member taps 我会参加 under it, then
checks in with the code the organizer shows in the room."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import SCHEDULER
from handlers.study.checkin import code_at, new_secret
from storage.repos import Repos
from storage.study_models import StudySession
from storage.types import utcnow
from tests.telegram_fixtures import Service, eventually, running_service
from tests.test_study_support import study_registered  # noqa: F401  (an autouse fixture)


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(tmp_path) as running:
        yield running


async def test_reminder_then_i_will_attend_then_check_in(service: Service) -> None:
    user = await service.joined(3001, "李明")
    now = utcnow()

    async def plan(session: AsyncSession) -> StudySession:
        repos = Repos(session)
        org = await repos.orgs.get(service.org_id)
        assert org is not None
        org.remind_day_before_at, org.remind_minutes_before = "", 25
        session.add(org)
        made: StudySession = await repos.study.add(
            StudySession(
                org_id=service.org_id, title="集中学习:党章", place="三楼大会议室",
                starts_at=now + timedelta(minutes=24, seconds=30),
                ends_at=now + timedelta(minutes=120), checkin_secret=new_secret(),
            )
        )  # fmt: skip
        return made

    planned = await service.db.run(plan)
    await service.app[SCHEDULER].run_due()  # the loop may have been first: once either way
    reminder = await user.expect_text(["学习提醒", "集中学习:党章", "三楼大会议室"])
    assert reminder.buttons == ["签到", "我会参加", "请假"]  # the room's check-in is open
    query = await user.tap("我会参加")
    await user.answered(query)
    await user.expect_text("已记下你会参加")

    async def answered() -> bool:
        """李明's answer is stored."""

        async def read(session: AsyncSession) -> bool:
            member = await service.member(user)
            assert member is not None
            found = await Repos(session).study.attendance(planned.id or 0, member.id or 0)
            return found is not None and found.rsvp == "yes"

        return await service.db.run(read)

    await eventually(answered)
    await user.say(f"/checkin {code_at(planned.checkin_secret, utcnow())}")
    await user.expect_text(["签到成功", "集中学习:党章"])
    await user.say(f"/checkin {code_at(planned.checkin_secret, utcnow())}")
    await user.expect_text("不用重复签到")
    await service.app[SCHEDULER].run_due()
    await user.expect_nothing(0.3)  # nothing sent twice
