"""What the deadline modules share: the feature, time input, who owes what."""

from __future__ import annotations

from datetime import datetime

from handlers.context import Context
from handlers.feature import Feature
from storage.models import Member
from storage.study_models import Deadline

feature = Feature("dl")
SUBMIT_LIMIT = 20_000  # characters of a text submission (a self-examination report is long)


def parse_time(ctx: Context, text: str) -> datetime | None:
    """The organization's local time typed as YYYY-MM-DD HH:MM; None if unreadable.

    One place to swap for the natural-language parser (handlers/timeparse.py)."""
    try:
        local = datetime.strptime(" ".join(text.split()), "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    return local.replace(tzinfo=ctx.zone)


def when(ctx: Context, moment: datetime) -> str:
    local = moment.astimezone(ctx.zone)
    return ctx.t("deadlines.when", m=local.month, d=local.day, time=local.strftime("%H:%M"))


async def owed_by(ctx: Context, member: Member) -> list[tuple[Deadline, bool]]:
    """Open deadlines whose audience includes the member, and whether they handed in."""
    assert member.id is not None
    found = []
    for deadline in await ctx.db.study.open_deadlines(member.org_id, ctx.now()):
        if ctx.db.study.includes(deadline.audience, member):
            done = await ctx.db.study.submission(deadline.id, member.id) is not None  # type: ignore[arg-type]
            found.append((deadline, done))
    return found
