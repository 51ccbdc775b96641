"""The office's broadcasts after they are written: the list, progress while one is going
out (已发送 3,500 / 10,000), and cancelling one (what is still queued is not sent)."""

from __future__ import annotations

from datetime import date

from sqlmodel import col, select

from handlers.broadcasts.common import audience_counts, feature, line, number, roles_of, when_label
from handlers.broadcasts.ops import ACTIVE, batch_counts, cancel, figures
from handlers.context import Context
from handlers.feature import ADMINS
from handlers.messages import Button, Text, rows
from handlers.timeparse import format_when
from storage.study_models import Broadcast

LISTED = 8


def progress_button(ctx: Context, row_id: int) -> Button:
    return Button(ctx.t("broadcasts.refresh"), feature.payload("pg", row_id))


async def show_active(ctx: Context) -> None:
    """Broadcasts still to go out or going out, with their buttons; nothing if none."""
    rows_ = [r for r in await _recent(ctx) if r.status in ACTIVE]
    if rows_:
        await _show(ctx, rows_, "broadcasts.active_header")


@feature.button("ls", access=ADMINS)
async def show_list(ctx: Context) -> None:
    found = await _recent(ctx)
    if not found:
        ctx.say("broadcasts.none")
        return
    await _show(ctx, found, "broadcasts.list_header")


async def _show(ctx: Context, found: list[Broadcast], header: str) -> None:
    lines = [ctx.t(header), *(line(ctx, r) for r in found)]
    buttons: list[Button] = []
    for row in found:
        assert row.id is not None
        buttons.append(
            Button(ctx.t("broadcasts.progress_of", id=row.id), feature.payload("pg", row.id))
        )
        if row.status in ACTIVE:
            buttons.append(
                Button(ctx.t("broadcasts.cancel_of", id=row.id), feature.payload("x", row.id))
            )
    ctx.send(Text("\n".join(lines), rows(*buttons, per_row=2)))


async def _recent(ctx: Context) -> list[Broadcast]:
    assert ctx.org is not None
    query = (
        select(Broadcast)
        .where(Broadcast.org_id == ctx.org.id)
        .order_by(col(Broadcast.id).desc())
        .limit(LISTED)
    )
    return list((await ctx.db.session.exec(query)).all())


@feature.button("pg", access=ADMINS)
async def progress(ctx: Context) -> None:
    row = await _mine(ctx)
    if row is None or row.id is None:
        return
    batches = await batch_counts(ctx.db, row.id)
    buttons = [progress_button(ctx, row.id)]
    if row.status in ACTIVE:
        buttons.append(Button(ctx.t("broadcasts.cancel_button"), feature.payload("x", row.id)))
    if not batches:
        assert ctx.org is not None and ctx.org.id is not None
        members, _ = await audience_counts(ctx.db, ctx.org.id, roles_of(row.audience))
        key = "broadcasts.not_started" if row.status in ACTIVE else "broadcasts.never_sent"
        ctx.say(key, id=row.id, when=when_label(ctx, row.send_at), members=number(members),
                buttons=rows(*buttons))  # fmt: skip
        return
    batch, counts = list(batches.items())[-1]
    day = format_when(_day(batch), ctx.zone, ctx.lang, date_only=True)
    found = {name: number(value) for name, value in figures(counts).items()}
    status = ctx.t(f"broadcasts.status_{row.status}")
    ctx.say("broadcasts.progress", id=row.id, day=day, status=status, **found,
            buttons=rows(*buttons))  # fmt: skip


@feature.button("x", access=ADMINS)
async def ask_cancel(ctx: Context) -> None:
    row = await _mine(ctx)
    if row is None or row.id is None:
        return
    if row.status not in ACTIVE:
        ctx.say("broadcasts.not_active", id=row.id, status=ctx.t(f"broadcasts.status_{row.status}"))
        return
    yes = Button(ctx.t("broadcasts.cancel_yes"), feature.payload("xx", row.id))
    ctx.say("broadcasts.cancel_sure", id=row.id, line=line(ctx, row), buttons=((yes,),))


@feature.button("xx", access=ADMINS)
async def do_cancel(ctx: Context) -> None:
    row = await _mine(ctx)
    if row is None or row.id is None:
        return
    if row.status not in ACTIVE:
        ctx.say("broadcasts.not_active", id=row.id, status=ctx.t(f"broadcasts.status_{row.status}"))
        return
    assert ctx.member is not None
    found = await cancel(ctx.db, row, f"member:{ctx.member.id}")
    ctx.say("broadcasts.cancelled", id=row.id, **{k: number(v) for k, v in found.items()})


async def _mine(ctx: Context) -> Broadcast | None:
    """The broadcast a button names, if it is this organization's."""
    raw = ctx.params[0] if ctx.params else ""
    ok = raw.isascii() and raw.isdigit() and len(raw) < 10  # "²" is a digit int() refuses
    row = await ctx.db.study.broadcast(int(raw)) if ok else None
    if row is None or ctx.org is None or row.org_id != ctx.org.id:
        ctx.say("broadcasts.not_found")
        return None
    return row


def _day(batch: str) -> date:
    return date.fromisoformat(batch.rsplit(":", 1)[-1])
