"""Ledger deadlines: the responsible person is reminded 7 days and 1 day before; the day
after, an overdue notice; two days on, the responsible leader and the office hear of it.
Nothing for items that are done or awaiting review."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from handlers.context import Context
from handlers.ledger.common import OPEN, day
from handlers.messages import Text
from handlers.opinions.common import admins
from handlers.schedule import Due, FanOut, org_zone
from storage.repos import Repos

MORNING = time(9, 0)
MOMENTS = (("d7", -7), ("d1", -1), ("late", 1), ("escalate", 3))  # days from the deadline


async def item_reminders(db: Repos, start: datetime, end: datetime) -> list[Due]:
    found: list[Due] = []
    last_day, first_day = (end + timedelta(days=8)).date(), (start - timedelta(days=4)).date()
    items = await db.ledger.open_with_deadline_before(last_day, since=first_day)
    orgs = await db.orgs.many({item.org_id for item in items})
    for item in items:
        zone = org_zone(orgs.get(item.org_id))
        for name, offset in MOMENTS:
            moment = datetime.combine(item.deadline + timedelta(days=offset), MORNING, tzinfo=zone)
            if start < moment <= end and moment > item.created_at:
                key = f"item:{item.id}:{item.deadline.isoformat()}:{name}"
                found.append(Due(key, moment, _fan_out(item.id, name)))
    return found


def _fan_out(item_id: int, name: str) -> FanOut:
    async def fan_out(ctx: Context, late: bool) -> int:
        item = await ctx.db.ledger.get(item_id)
        if item is None or item.status not in OPEN:
            return 0
        ctx.org = await ctx.db.orgs.get(item.org_id)
        targets = [item.person_id]
        if name == "escalate":
            targets = [item.leader_id, *(m.id for m in await admins(ctx, item.org_id))]  # type: ignore[misc]
        sent = 0
        for member_id in dict.fromkeys(targets):
            member = await ctx.db.members.get(member_id)
            if member is None or not member.active:
                continue
            person = await ctx.db.members.get(item.person_id)
            text = ctx.text_for(
                member,
                f"ledger.remind_{name}",
                id=item.id,
                content=item.content,
                deadline=day(ctx, item.deadline),
                person=person.name if person else "",
            )
            await ctx.push(member, [Text(text)], kind="ledger_reminder")
            sent += 1
        return sent

    return fan_out
