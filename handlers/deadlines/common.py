"""What the deadline modules share: the feature, time input, who owes what."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.context import Context
from handlers.feature import Feature
from handlers.timeparse import TimeParseError, parse_when
from storage.models import Member
from storage.study_models import Deadline

feature = Feature("dl")
SUBMIT_LIMIT = 20_000  # characters of a text submission (a self-examination report is long)


def parse_time(ctx: Context, text: str) -> datetime | None:
    """A moment as people type it ("12月20日18点", "下周五 17:00"); a day alone means its
    end. Says what was wrong, with an example, and returns None when it cannot."""
    try:
        found = parse_when(text, ctx.now(), ctx.zone)
    except TimeParseError as problem:
        ctx.say(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang, now=ctx.now()))
        return None
    if found.date_only:
        return found.start + timedelta(days=1, minutes=-1)
    return found.start


def when(ctx: Context, moment: datetime) -> str:
    local = moment.astimezone(ctx.zone)
    return ctx.t("deadlines.when", m=local.month, d=local.day, time=local.strftime("%H:%M"))


async def owed_by(ctx: Context, member: Member) -> list[tuple[Deadline, bool]]:
    """Open deadlines whose audience includes the member, and whether they handed in."""
    assert member.id is not None
    found = []
    for deadline in await ctx.db.study.open_deadlines(member.org_id, ctx.now()):
        if ctx.db.study.includes(deadline.audience, member):
            latest = await ctx.db.study.submission(deadline.id, member.id)  # type: ignore[arg-type]
            found.append((deadline, latest is not None and latest.status != "returned"))
    return found


async def reopened(ctx: Context, deadline: Deadline, member: Member) -> bool:
    """Whether the member's latest submission was returned: it may come again, even late."""
    latest = await ctx.db.study.submission(deadline.id, member.id)  # type: ignore[arg-type]
    return latest is not None and latest.status == "returned"
