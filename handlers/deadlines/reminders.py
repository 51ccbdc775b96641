"""Reminders for deadlines: three days and one day before, in the morning, and only to
those who still owe (SPEC §1: nobody is reminded of what they already did)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.context import Context
from handlers.deadlines.common import feature, when
from handlers.messages import Button, Reply, Text
from handlers.schedule import Due, FanOut, org_zone
from storage.models import Member
from storage.repos import Repos
from storage.study_models import Deadline

BEFORE_DAYS = (3, 1)
MORNING = time(9, 0)


async def deadline_reminders(db: Repos, start: datetime, end: datetime) -> list[Due]:
    found: list[Due] = []
    horizon = end + timedelta(days=max(BEFORE_DAYS) + 1)
    deadlines = await db.study.deadlines_due_between(start, horizon)
    orgs = await db.orgs.many({deadline.org_id for deadline in deadlines})
    for deadline in deadlines:
        zone = org_zone(orgs.get(deadline.org_id))
        for days in BEFORE_DAYS:
            moment = _morning(deadline.due_at, days, zone)
            if start < moment <= end and moment > deadline.created_at:
                key = f"deadline:{deadline.id}:{int(deadline.due_at.timestamp())}:d{days}"
                found.append(Due(key, moment, _fan_out(deadline.id)))
    return found


def _morning(due: datetime, days: int, zone: ZoneInfo) -> datetime:
    day = due.astimezone(zone).date() - timedelta(days=days)
    return datetime.combine(day, MORNING, tzinfo=zone)


def _fan_out(deadline_id: int) -> FanOut:
    async def fan_out(ctx: Context, late: bool) -> int:
        deadline = await ctx.db.study.deadline(deadline_id)
        if deadline is None or deadline.cancelled:
            return 0
        return await _remind(ctx, deadline, late)

    return fan_out


async def _remind(ctx: Context, deadline: Deadline, late: bool) -> int:
    members = await ctx.db.study.audience(deadline.org_id, deadline.audience)
    handed = await ctx.db.study.submitted_members(deadline.id)  # type: ignore[arg-type]
    org = await ctx.db.orgs.get(deadline.org_id)
    ctx.org = org
    pushes: list[tuple[Member, list[Reply]]] = []
    written: dict[str | None, list[Reply]] = {}  # by language: the same words for thousands
    for member in members:
        if member.id in handed:
            continue
        if member.language not in written:
            key = "deadlines.reminder_late" if late else "deadlines.reminder"
            text = ctx.text_for(member, key, title=deadline.title, due=when(ctx, deadline.due_at))
            button = Button(
                ctx.text_for(member, "deadlines.submit_now"), feature.payload("sub", deadline.id)
            )
            written[member.language] = [Text(text, ((button,),))]
        pushes.append((member, written[member.language]))
    return await ctx.push_many(pushes, kind="deadline_reminder", batch=f"deadline:{deadline.id}")
