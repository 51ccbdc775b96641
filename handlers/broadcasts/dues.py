"""Broadcasts as due moments for the scheduler (handlers/schedule.py).

Each occurrence is a moment keyed ``broadcast:{id}:{day}``; its fan-out writes one outbox
row per member in the transaction that records the key, so no process and no restart
hands it over twice. When an occurrence's batch has left the outbox (nothing queued), a
second moment, ``…:summary``, pushes the sender what became of it; after the last
occurrence the broadcast is done.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from handlers.broadcasts.common import feature, number
from handlers.broadcasts.ops import (
    ACTIVE,
    batch_counts,
    fan_out,
    figures,
    key,
    occurrences,
    still_queued,
)
from handlers.context import Context
from handlers.messages import Button, Text
from handlers.schedule import Due, FanOut, org_zone
from handlers.timeparse import format_when
from storage.repos import Repos
from storage.study_models import Broadcast, BroadcastStatus, SchedulerRun


async def broadcast_dues(db: Repos, start: datetime, end: datetime) -> list[Due]:
    query = select(Broadcast).where(col(Broadcast.status).in_(ACTIVE), Broadcast.send_at <= end)
    found: list[Due] = []
    for row in (await db.session.exec(query)).all():
        assert row.id is not None
        zone = org_zone(await db.orgs.get(row.org_id))
        for moment in occurrences(row, zone, start, end):
            day = moment.astimezone(zone).date()
            found.append(Due(key(row.id, day), moment, _send(row.id, day)))
            run = await db.session.get(SchedulerRun, key(row.id, day))
            if run is not None and await _finished(db, row.id, day):
                found.append(Due(f"{key(row.id, day)}:summary", end, _summary(row.id, day)))
    return found


async def _finished(db: Repos, row_id: int, day: date) -> bool:
    return await still_queued(db, key(row_id, day)) == 0


def _send(row_id: int, day: date) -> FanOut:
    async def send(ctx: Context, late: bool) -> int:
        row = await ctx.db.study.broadcast(row_id)
        if row is None or row.status not in ACTIVE:
            return 0
        return await fan_out(ctx, row, day, late=late)

    return send


def _summary(row_id: int, day: date) -> FanOut:
    async def summary(ctx: Context, late: bool) -> int:
        row = await ctx.db.study.broadcast(row_id)
        if row is None or row.status not in ACTIVE:
            return 0
        ctx.org = await ctx.db.orgs.get(row.org_id)
        zone = org_zone(ctx.org)
        later = occurrences(row, zone, _after(day, zone), datetime.max.replace(tzinfo=zone))
        row.status = BroadcastStatus.scheduled if later else BroadcastStatus.done
        ctx.db.session.add(row)
        sender = await ctx.db.members.get(row.sender_id) if row.sender_id else None
        if sender is None or not sender.active:
            return 0
        lang = sender.language or ctx.services.default_language
        await ctx.push(sender, [await _summary_text(ctx, row_id, day, lang)], kind="bc_summary")
        return 1

    return summary


async def _summary_text(ctx: Context, row_id: int, day: date, lang: str) -> Text:
    def t(key_: str, **params: object) -> str:
        return ctx.services.catalog.text(lang, key_, **params)

    when = format_when(day, ctx.zone, lang, date_only=True)
    run = await ctx.db.session.get(SchedulerRun, key(row_id, day))
    if run is not None and run.outcome == "skipped":
        text = t("broadcasts.skipped", id=row_id, when=when)
    else:
        counts = (await batch_counts(ctx.db, row_id)).get(key(row_id, day)) or Counter()
        shown = {name: number(value) for name, value in figures(counts).items()}
        text = t("broadcasts.summary", id=row_id, when=when, **shown)
    return Text(text, ((Button(t("broadcasts.list_button"), feature.payload("ls")),),))


def _after(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of the day after ``day``, in the zone."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
