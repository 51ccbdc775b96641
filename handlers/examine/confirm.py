"""The other party confirms a recorded talk from a button (or says it was not so, and the
record is withdrawn); nobody else can, and nobody twice."""

from __future__ import annotations

from sqlmodel import col, select

from handlers.context import Context
from handlers.examine.common import day, feature
from handlers.feature import MEMBERS, param_id
from handlers.messages import Button, Text, rows
from storage.examine_models import Talk


async def awaiting_me(ctx: Context) -> list[Talk]:
    """Talks others recorded with me that I have not confirmed yet."""
    assert ctx.member is not None
    query = select(Talk).where(Talk.with_member == ctx.member.id, col(Talk.confirmed_at).is_(None))
    return list((await ctx.db.session.exec(query.order_by(col(Talk.held_on)))).all())


async def confirm_buttons(ctx: Context, talks: list[Talk]) -> tuple[tuple[Button, ...], ...]:
    buttons = []
    for talk in talks[:8]:
        recorder = await ctx.db.members.get(talk.recorded_by)
        name = recorder.name if recorder else "?"
        label = ctx.t("examine.confirm_button_dated", name=name, day=day(ctx, talk.held_on))
        buttons.append(Button(label, feature.payload("tc", talk.id)))
    return rows(*buttons, per_row=1)


async def _mine_to_answer(ctx: Context) -> Talk | None:
    """The talk a confirm/dispute button names, if this member is its other party."""
    me = ctx.member
    assert me is not None
    raw = ctx.params[0] if ctx.params else ""
    talk = await ctx.db.session.get(Talk, param_id(raw))
    if talk is None or talk.org_id != me.org_id:
        ctx.say("examine.talk_not_found")
        return None
    if talk.recorded_by == me.id:
        other = await ctx.db.members.get(talk.with_member)
        ctx.say("examine.own_record", name=other.name if other else "?")
        return None
    if talk.with_member != me.id:
        ctx.say("examine.not_party")
        return None
    if talk.confirmed_at is not None:
        local = talk.confirmed_at.astimezone(ctx.zone).date()
        ctx.say("examine.confirmed_before", day=day(ctx, local))
        return None
    return talk


@feature.button("tc", access=MEMBERS)
async def confirm(ctx: Context) -> None:
    talk = await _mine_to_answer(ctx)
    if talk is None:
        return
    assert ctx.member is not None
    talk.confirmed_at = ctx.now()
    ctx.db.session.add(talk)
    recorder = await ctx.db.members.get(talk.recorded_by)
    if recorder is not None and recorder.active:
        held = ctx.text_for(recorder, "date.short", m=talk.held_on.month, d=talk.held_on.day)
        text = ctx.text_for(recorder, "examine.confirmed_push", name=ctx.member.name, day=held)
        await ctx.push(recorder, [Text(text)], kind="talk_news")
    name = recorder.name if recorder else "?"
    ctx.say("examine.confirmed", name=name, day=day(ctx, talk.held_on))


@feature.button("tx", access=MEMBERS)
async def dispute(ctx: Context) -> None:
    talk = await _mine_to_answer(ctx)
    if talk is None:
        return
    assert ctx.member is not None
    recorder = await ctx.db.members.get(talk.recorded_by)
    await ctx.db.session.delete(talk)
    if recorder is not None and recorder.active:
        held = ctx.text_for(recorder, "date.short", m=talk.held_on.month, d=talk.held_on.day)
        text = ctx.text_for(recorder, "examine.disputed_push", name=ctx.member.name, day=held)
        await ctx.push(recorder, [Text(text)], kind="talk_news")
    ctx.say("examine.disputed", name=recorder.name if recorder else "?")
