"""The monthly bulletin (月通报) in chat: compiled on the organization's day each month and
on demand, sent to leaders, the office and the supervisors above, published if the office
chooses; the chart and the spreadsheet come with a tap."""

from __future__ import annotations

import asyncio
from datetime import datetime, time

from sqlmodel import col, select

from handlers.context import Context
from handlers.feature import ADMINS, Access, param_id
from handlers.ledger.bulletin import BulletinParts, draft_bulletin, render_bulletin, store_bulletin
from handlers.ledger.common import feature
from handlers.messages import Button, File, Image, Text, rows
from handlers.schedule import Due, FanOut, org_zone
from storage.ledger_models import Bulletin, RectificationItem
from storage.models import Member, Role
from storage.repos import Repos

READERS: Access = frozenset({Role.leader, Role.admin, Role.supervisor})
MORNING = time(9, 0)


@feature.command("bulletin", access=READERS, keywords=("月通报",))
async def bulletin(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None
    if ctx.member.role == Role.admin:
        parts = await compile_now(ctx, ctx.org.id)
        ctx.send(_summary(ctx, parts.bulletin_id or 0, parts.text, office=True))
        return
    shown = await _latest_each(ctx, await ctx.db.orgs.subtree_ids(ctx.org.id))
    if not shown:
        ctx.say("ledger.bulletin_none")
    for found in shown:
        ctx.send(_summary(ctx, found.id or 0, found.text, office=False))


async def compile_now(ctx: Context, org_id: int) -> BulletinParts:
    draft = await draft_bulletin(ctx.db, org_id, ctx.now(), org_zone(ctx.org), ctx.lang)
    parts = await asyncio.to_thread(render_bulletin, draft)  # the drawing is slow
    return await store_bulletin(ctx.db, org_id, parts)


def _summary(ctx: Context, bulletin_id: int, text: str, *, office: bool) -> Text:
    buttons = [Button(ctx.t("ledger.bulletin_files"), feature.payload("bv", bulletin_id))]
    if office:
        buttons.append(
            Button(ctx.t("ledger.bulletin_publish"), feature.payload("pub", bulletin_id))
        )
    return Text(text, rows(*buttons))


@feature.button("bv", access=READERS)
async def files(ctx: Context) -> None:
    found = await _readable(ctx)
    if found is None:
        return
    if found.chart:
        ctx.send(Image(found.chart, ctx.t("ledger.bulletin_chart"), f"bulletin-{found.month}.png"))
    if found.workbook:
        ctx.send(File(found.workbook, f"bulletin-{found.month}.xlsx"))


@feature.button("pub", access=ADMINS)
async def publish(ctx: Context) -> None:
    found = await _readable(ctx)
    if found is None or ctx.member is None:
        return
    found.published = True
    ctx.db.session.add(found)
    await ctx.db.audit.record(
        f"member:{ctx.member.id}", "bulletin.publish", org_id=found.org_id, bulletin=found.id
    )
    ctx.say("ledger.bulletin_published", month=found.month)


async def _readable(ctx: Context) -> Bulletin | None:
    raw = ctx.params[0] if ctx.params else ""
    found = await ctx.db.session.get(Bulletin, param_id(raw))
    allowed = (
        ctx.org is not None
        and found is not None
        and (
            found.org_id in await ctx.db.orgs.subtree_ids(ctx.org.id)  # type: ignore[arg-type]
        )
    )
    if not allowed or found is None:
        ctx.say("ledger.not_found")
        return None
    return found


async def _latest(ctx: Context, org_id: int, *, published: bool = False) -> Bulletin | None:
    query = select(Bulletin).where(Bulletin.org_id == org_id)
    if published:
        query = query.where(col(Bulletin.published))
    return (await ctx.db.session.exec(query.order_by(col(Bulletin.id).desc()))).first()


async def _latest_each(ctx: Context, org_ids: list[int], limit: int = 5) -> list[Bulletin]:
    """A supervisor's view: the newest bulletin of each organization below them."""
    query = (
        select(Bulletin).where(col(Bulletin.org_id).in_(org_ids)).order_by(col(Bulletin.id).desc())
    )
    newest: dict[int, Bulletin] = {}
    for found in (await ctx.db.session.exec(query.limit(200))).all():
        newest.setdefault(found.org_id, found)
    return list(newest.values())[:limit]


async def latest_published(ctx: Context, org_id: int) -> Bulletin | None:
    return await _latest(ctx, org_id, published=True)


async def bulletin_dues(db: Repos, start: datetime, end: datetime) -> list[Due]:
    """Each organization with a ledger, on its bulletin day at nine in the morning."""
    query = select(RectificationItem.org_id).distinct()
    org_ids = set((await db.session.exec(query)).all())
    orgs = await db.orgs.many(org_ids)  # one query, not one per organization every tick
    found: list[Due] = []
    for org_id in sorted(org_ids):
        org = orgs.get(org_id)
        if org is None:
            continue
        zone = org_zone(org)
        local_end = end.astimezone(zone)
        day = min(max(org.bulletin_day, 1), 28)
        moment = datetime.combine(local_end.date().replace(day=day), MORNING, tzinfo=zone)
        if start < moment <= end:
            key = f"bulletin:{org_id}:{moment.strftime('%Y-%m')}"
            found.append(Due(key, moment, _fan_out(org_id)))
    return found


def _fan_out(org_id: int) -> FanOut:
    async def fan_out(ctx: Context, late: bool) -> int:
        ctx.org = await ctx.db.orgs.get(org_id)
        parts = await compile_now(ctx, org_id)
        sent = 0
        for member in await _readers(ctx, org_id):
            button = Button(
                ctx.text_for(member, "ledger.bulletin_files"),
                feature.payload("bv", parts.bulletin_id or 0),
            )
            await ctx.push(member, [Text(parts.text, ((button,),))], kind="bulletin")
            sent += 1
        return sent

    return fan_out


async def _readers(ctx: Context, org_id: int) -> list[Member]:
    """Leaders and the office of the organization, and supervisors of it or above it."""
    found = [m for m in await ctx.db.members.in_org(org_id) if m.role in (Role.leader, Role.admin)]
    org = await ctx.db.orgs.get(org_id)
    while org is not None:
        found += [m for m in await ctx.db.members.in_org(org.id) if m.role == Role.supervisor]  # type: ignore[arg-type]
        org = await ctx.db.orgs.get(org.parent_id) if org.parent_id else None
    return found
