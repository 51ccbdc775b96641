"""The opinion box's timed work, run by the outer ring's scheduler every minute:
the daily batch release of anonymous opinions, and reminders for unanswered ones."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from handlers.context import Context, Services
from handlers.opinions.common import admins
from handlers.opinions.items import OPEN, Item
from handlers.opinions.notify import tell_staff
from handlers.schedule import job_context
from storage.models import Organization
from storage.opinion_models import AnonThread, Opinion
from storage.repos import Repos

ESCALATE_AFTER = 2  # days past the deadline before the office hears of it too


async def run_due(db: Repos, services: Services, now: datetime) -> dict[str, int]:
    ctx = job_context(db, services)
    released = await release_anonymous(ctx, now)
    reminded = await remind_overdue(ctx, now)
    return {"released": released, "reminded": reminded}


async def release_anonymous(ctx: Context, now: datetime) -> int:
    """Each morning at the organization's hour, what arrived before today goes to the
    inbox at once, so nobody can tell one anonymous opinion's moment from another's."""
    released = 0
    for org_id in await ctx.db.opinions.orgs_with_unreleased():
        org = await ctx.db.orgs.get(org_id)
        if org is None:
            continue
        local = now.astimezone(_zone(ctx, org))
        if local.hour < org.anonymous_release_hour:
            continue
        released += await ctx.db.opinions.release(org_id, local.date())
    return released


async def remind_overdue(ctx: Context, now: datetime) -> int:
    """No opinion goes unanswered: past the organization's days, the assignee (or, if
    none, the office) is reminded; a further two days on, the office hears of it too."""
    sent = 0
    open_named = select(Opinion).where(col(Opinion.status).in_(OPEN), Opinion.reminded < 2)
    open_anon = select(AnonThread).where(
        col(AnonThread.status).in_(OPEN),
        AnonThread.reminded < 2,
        col(AnonThread.released_on).is_not(None),
    )
    rows = [*(await ctx.db.session.exec(open_named)).all()]
    rows += [*(await ctx.db.session.exec(open_anon)).all()]
    for row in rows:
        org = await ctx.db.orgs.get(row.org_id)
        if org is None:
            continue
        ctx.org = org
        item = Item(row)
        late = item.age(ctx) - org.opinion_reply_days
        office = [m.id for m in await admins(ctx, org.id) if m.id is not None]  # type: ignore[arg-type]
        if late >= ESCALATE_AFTER and row.reminded < 2:
            targets = [*office, *([row.assignee_id] if row.assignee_id else [])]
            await tell_staff(ctx, targets, item, "opinions.overdue_escalated")
            row.reminded = 2
        elif late >= 0 and row.reminded < 1:
            targets = [row.assignee_id] if row.assignee_id else office
            await tell_staff(ctx, targets, item, "opinions.overdue_reminder")
            row.reminded = 1
        else:
            continue
        ctx.db.session.add(row)
        sent += 1
    return sent


def _zone(ctx: Context, org: Organization) -> ZoneInfo:
    return ZoneInfo(org.timezone) if org.timezone else ctx.services.zone
