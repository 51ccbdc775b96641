"""Broadcast operations shared by the chat, the command line (and later the console):
create one, hand an occurrence to the outbox, read its counts, cancel it."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlmodel import col, func, select

from handlers.admin_ops import OpError
from handlers.broadcasts.common import REPEATS, STEP_DAYS, TEXT_LIMIT, audience_counts, roles_of
from handlers.context import Context
from handlers.messages import Stored, Text, to_json
from handlers.schedule import org_zone
from storage.models import Organization, OutboxMessage, OutboxStatus, Role
from storage.repos import Repos
from storage.study_models import Broadcast, BroadcastStatus, SchedulerRun

KIND = "broadcast"
SLACK = timedelta(minutes=1)  # "now" typed a moment ago is not in the past
ACTIVE = (BroadcastStatus.scheduled, BroadcastStatus.sending)


async def create_broadcast(
    db: Repos,
    *,
    org_id: int,
    text: str,
    roles: list[str],
    send_at: datetime,
    now: datetime,
    repeat: str | None = None,
    until: date | None = None,
    sender_id: int | None = None,
    file_id: int | None = None,
    actor: str,
) -> Broadcast:
    """Check and store a broadcast; OpError (catalog key) when something is wrong."""
    org = await db.orgs.get(org_id)
    if org is None:
        raise OpError("ops.no_org", org=org_id)
    text = text.strip()
    if not text or len(text) > TEXT_LIMIT:
        raise OpError("broadcasts.text_length", limit=TEXT_LIMIT, length=len(text))
    if wrong := [r for r in roles if r not in set(Role)]:
        raise OpError("ops.role", role=wrong[0], roles="|".join(Role))
    if send_at < now - SLACK:
        raise OpError("broadcasts.at_past")
    if (repeat is None) != (until is None) or (repeat is not None and repeat not in REPEATS):
        raise OpError("broadcasts.repeat_wrong")
    kept = await db.files.get(file_id) if file_id is not None else None
    if file_id is not None and (kept is None or kept.org_id != org_id):
        raise OpError("files.unavailable")
    if (await audience_counts(db, org_id, roles))[0] == 0:
        raise OpError("broadcasts.audience_empty")
    row = Broadcast(org_id=org_id, text=text, audience={"roles": roles} if roles else {},
                    send_at=send_at, repeat=repeat, repeat_until=until, sender_id=sender_id,
                    file_id=file_id, created_at=now)  # fmt: skip
    db.session.add(row)
    await db.session.flush()
    await db.audit.record(actor, "broadcast.create", org_id=org_id, broadcast=row.id)
    return row


def occurrences(row: Broadcast, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The moments it goes out within [start, end]: its time of day, on each repeat day."""
    first = row.send_at.astimezone(zone)
    if row.repeat not in STEP_DAYS or row.repeat_until is None:
        return [row.send_at] if start <= row.send_at <= end else []
    step = STEP_DAYS[row.repeat]
    skip = max(0, (start.astimezone(zone).date() - first.date()).days // step - 1)
    found, day = [], first.date() + timedelta(days=skip * step)
    while day <= row.repeat_until:
        moment = datetime.combine(day, first.time(), tzinfo=zone)
        if moment > end:
            break
        if moment >= start:
            found.append(moment)
        day += timedelta(days=step)
    return found


def key(row_id: int, day: date) -> str:
    return f"broadcast:{row_id}:{day.isoformat()}"


def batch_prefix(row_id: int) -> str:
    return f"broadcast:{row_id}:"


async def fan_out(ctx: Context, row: Broadcast, day: date, *, late: bool = False) -> int:
    """One outbox row per member of the audience, in this transaction; the dedupe key
    makes a second hand-over of the same occurrence write nothing."""
    assert row.id is not None
    org = await ctx.db.orgs.get(row.org_id)
    members = await ctx.db.study.audience(row.org_id, {"roles": roles_of(row.audience)})
    texts: dict[str, list[dict[str, Any]]] = {}
    attached = await _attachment(ctx.db, row)
    values = []
    for member in members:
        lang = member.language or ctx.services.default_language
        if lang not in texts:
            texts[lang] = to_json([Text(_message(ctx, lang, row, org, late)), *attached])
        values.append({"member_id": member.id, "kind": KIND, "payload": texts[lang],
                       "dedupe_key": f"bc:{row.id}:{day.isoformat()}:{member.id}",
                       "batch": key(row.id, day)})  # fmt: skip
    await ctx.db.outbox.enqueue_many(values)
    row.status = BroadcastStatus.sending
    ctx.db.session.add(row)
    ctx.queued += len(values)
    return len(values)


async def _attachment(db: Repos, row: Broadcast) -> list[Stored]:
    kept = await db.files.get(row.file_id) if row.file_id is not None else None
    return [Stored(row.file_id, kept.kind, kept.name)] if kept and row.file_id else []


def _message(ctx: Context, lang: str, row: Broadcast, org: Organization | None, late: bool) -> str:
    name = org.name if org else ""
    words = ctx.services.catalog.text(lang, "broadcasts.message", org=name, text=row.text)
    if late:
        when = row.send_at.astimezone(org_zone(org)).strftime("%H:%M")
        words += "\n" + ctx.services.catalog.text(lang, "broadcasts.late_note", when=when)
    return words


async def start_now(ctx: Context, row: Broadcast) -> int:
    """Hand the first occurrence to the outbox at once, recorded as the scheduler records
    it, so the scheduler finds it done."""
    assert row.id is not None
    day = row.send_at.astimezone(org_zone(await ctx.db.orgs.get(row.org_id))).date()
    run = SchedulerRun(key=key(row.id, day), due_at=row.send_at, ran_at=ctx.now(), outcome="sent")
    if not await ctx.db.study.mark_run(run):
        return 0
    run.recipients = await fan_out(ctx, row, day)
    ctx.db.session.add(run)
    return run.recipients


async def batch_counts(db: Repos, row_id: int) -> dict[str, Counter[str]]:
    """Outbox statuses of each occurrence's batch, oldest first."""
    query = (
        select(OutboxMessage.batch, OutboxMessage.status, func.count())
        .where(*_in_batches(row_id))
        .group_by(OutboxMessage.batch, OutboxMessage.status)
    )
    found: dict[str, Counter[str]] = {}
    for batch, status, count in (await db.session.exec(query)).all():
        found.setdefault(batch or "", Counter())[status] = count
    return dict(sorted(found.items()))


async def still_queued(db: Repos, batch: str) -> int:
    query = select(func.count()).where(
        OutboxMessage.batch == batch, OutboxMessage.status == OutboxStatus.queued
    )
    return (await db.session.exec(query)).one()


def _in_batches(row_id: int) -> tuple[Any, Any]:
    """The batches of a broadcast's occurrences, as a range the batch index can serve
    (SQLite's LIKE is case-insensitive and cannot use it)."""
    prefix = batch_prefix(row_id)
    return col(OutboxMessage.batch) >= prefix, col(OutboxMessage.batch) < prefix[:-1] + ";"


def figures(counts: Counter[str]) -> dict[str, int]:
    """queued, sent, blocked (unreachable: blocked the bot, or no chat account), failed."""
    return {
        "queued": counts[OutboxStatus.queued],
        "sent": counts[OutboxStatus.sent],
        "blocked": counts[OutboxStatus.unreachable],
        "failed": counts[OutboxStatus.failed],
        "total": sum(counts.values()),
    }


async def cancel(db: Repos, row: Broadcast, actor: str) -> dict[str, int]:
    """No more occurrences, and whatever is still queued is not sent; figures so far."""
    assert row.id is not None
    row.status = BroadcastStatus.cancelled
    db.session.add(row)
    queued = OutboxMessage.status == OutboxStatus.queued
    await db.session.exec(delete(OutboxMessage).where(*_in_batches(row.id), queued))  # type: ignore[call-overload]
    await db.audit.record(actor, "broadcast.cancel", org_id=row.org_id, broadcast=row.id)
    total: Counter[str] = Counter()
    for counts in (await batch_counts(db, row.id)).values():
        total.update(counts)
    return figures(total)
