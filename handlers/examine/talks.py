"""谈心 (/talk): my required talks at a glance, and recording one in a few taps — with whom
(a button, or a typed name), the day, the topics, a short summary if any. The other party
confirms from a button pushed to them (handlers/examine/confirm.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import col, or_, select

from handlers.context import Context
from handlers.examine.common import EXAMINE, by_name, colleague, day, feature, oversees, same_step
from handlers.examine.confirm import awaiting_me, confirm_buttons
from handlers.examine.coverage import coverage, of_member
from handlers.feature import MEMBERS
from handlers.messages import Button, Text, rows
from handlers.timeparse import TimeParseError, parse_when
from storage.examine_models import Talk
from storage.models import Member

NAME_LIMIT = 60
TOPIC_LIMIT = 500
SUMMARY_LIMIT = 2000
PRESETS = ("four", "opinions")  # 谈思想、谈作风、谈纪律、谈工作; 征求对自己的意见和建议


@feature.command("talk", access=MEMBERS, keywords=("谈心", "谈心谈话"), stages=EXAMINE)
async def talk(ctx: Context) -> None:
    me = ctx.member
    assert me is not None and me.id is not None and ctx.org is not None
    ctx.end()
    mine = of_member((await coverage(ctx, me.org_id))[0], me.id)
    lines = [ctx.t("examine.talk_header")]
    if mine:
        done = sum(1 for c in mine if c.state == "done")
        lines.append(ctx.t("examine.talk_required", total=len(mine), done=done))
        missing = [c.other(me.id).name for c in mine if c.state == "missing"]
        theirs = [  # recorded by me, awaiting the other's confirmation
            c.other(me.id).name
            for c in mine
            if c.state == "pending" and c.talk is not None and c.talk.recorded_by == me.id
        ]
        for state, found in (("missing", missing), ("pending", theirs)):
            if found:
                lines.append(ctx.t(f"examine.talk_{state}", names="、".join(found)))
    waiting = await awaiting_me(ctx)
    if waiting:
        lines.append(ctx.t("examine.talk_to_confirm", count=len(waiting)))
    lines.append(ctx.t("examine.talk_how"))
    owed = [c.other(me.id) for c in mine if c.state == "missing"]
    buttons = [Button(m.name, feature.payload("tw", m.id)) for m in owed[:9]]
    buttons.append(Button(ctx.t("examine.someone_else"), feature.payload("to")))
    if oversees(me):
        buttons.append(Button(ctx.t("examine.grid_button"), feature.payload("grid")))
    layout = rows(*buttons, per_row=3) + await confirm_buttons(ctx, waiting)
    ctx.send(Text("\n".join(lines), layout))


@feature.button("tw", access=MEMBERS)
async def with_whom(ctx: Context) -> None:
    other = await colleague(ctx, ctx.params[0] if ctx.params else "")
    if other is not None:
        _ask_day(ctx, other)


@feature.button("to", access=MEMBERS)
async def someone_else(ctx: Context) -> None:
    ctx.begin(feature.name, "who")
    ctx.say("examine.ask_who")


@feature.step("who", access=MEMBERS)
async def who(ctx: Context) -> None:
    me = ctx.member
    assert me is not None
    name = " ".join(ctx.args.split())
    if not name or len(name) > NAME_LIMIT:
        ctx.say("examine.ask_who")
        return
    found = await by_name(ctx, name)
    others = [m for m in found if m.id != me.id]
    if found and not others:
        ctx.say("examine.self_talk")
        return
    if not others:
        ctx.say("examine.no_such_person", name=name)
        return
    if len(others) == 1:
        _ask_day(ctx, others[0])
        return
    buttons = [Button(_label(m), feature.payload("tw", m.id)) for m in others[:8]]
    ctx.say("examine.pick_person", name=name, buttons=rows(*buttons, per_row=1))


def _label(member: Member) -> str:
    return f"{member.name}({member.title})" if member.title else member.name


def _ask_day(ctx: Context, other: Member) -> None:
    ctx.begin(feature.name, "day", {"with": other.id})
    buttons = rows(
        Button(ctx.t("examine.today"), feature.payload("td", 0)),
        Button(ctx.t("examine.yesterday"), feature.payload("td", 1)),
    )
    ctx.say("examine.ask_day", name=other.name, buttons=buttons)


@feature.button("td", access=MEMBERS)
async def day_button(ctx: Context) -> None:
    raw = ctx.params[0] if ctx.params else ""
    if not same_step(ctx, "day"):
        return
    if raw not in ("0", "1"):
        ctx.say("examine.stale")
        return
    _ask_topics(ctx, ctx.today() - timedelta(days=int(raw)))


@feature.step("day", access=MEMBERS)
async def day_typed(ctx: Context) -> None:
    try:
        found = parse_when(ctx.args, ctx.now(), ctx.zone, allow_past=True)
    except TimeParseError as problem:
        ctx.say(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang, now=ctx.now()))
        return
    held_on = found.start.astimezone(ctx.zone).date()
    if held_on > ctx.today():
        ctx.say("examine.day_future", day=day(ctx, held_on))
        return
    _ask_topics(ctx, held_on)


def _ask_topics(ctx: Context, held_on: date) -> None:
    ctx.dialogue.data["held_on"] = held_on.isoformat()
    ctx.dialogue.step = "topics"
    buttons = [Button(ctx.t(f"examine.topic_{p}"), feature.payload("tp", p)) for p in PRESETS]
    ctx.say("examine.ask_topics", limit=TOPIC_LIMIT, buttons=rows(*buttons, per_row=1))


@feature.button("tp", access=MEMBERS)
async def topic_button(ctx: Context) -> None:
    raw = ctx.params[0] if ctx.params else ""
    if not same_step(ctx, "topics"):
        return
    if raw not in PRESETS:
        ctx.say("examine.stale")
        return
    _ask_summary(ctx, ctx.t(f"examine.topic_{raw}"))


@feature.step("topics", access=MEMBERS)
async def topics_typed(ctx: Context) -> None:
    words = " ".join(ctx.args.split())
    if not words or len(words) > TOPIC_LIMIT:
        ctx.say("examine.topics_invalid", limit=TOPIC_LIMIT)
        return
    _ask_summary(ctx, words)


def _ask_summary(ctx: Context, topics: str) -> None:
    ctx.dialogue.data["topics"] = topics
    ctx.dialogue.step = "summary"
    skip = Button(ctx.t("examine.no_summary"), feature.payload("ts"))
    ctx.say("examine.ask_summary", limit=SUMMARY_LIMIT, buttons=((skip,),))


@feature.button("ts", access=MEMBERS)
async def skip_summary(ctx: Context) -> None:
    if same_step(ctx, "summary"):
        await _save(ctx, "")


@feature.step("summary", access=MEMBERS)
async def summary_typed(ctx: Context) -> None:
    words = ctx.args.strip()
    if not words or len(words) > SUMMARY_LIMIT:
        ctx.say("examine.summary_invalid", limit=SUMMARY_LIMIT)
        return
    await _save(ctx, words)


async def _save(ctx: Context, summary: str) -> None:
    me, data = ctx.member, ctx.dialogue.data
    assert me is not None and me.id is not None
    ctx.end()
    other = await colleague(ctx, str(data.get("with", "")))
    if other is None or other.id is None:
        return
    held_on = date.fromisoformat(data["held_on"])
    if await _already(ctx, me, other, held_on):
        return
    talk = Talk(
        org_id=me.org_id,
        recorded_by=me.id,
        with_member=other.id,
        held_on=held_on,
        topics=data["topics"],
        summary=summary,
        created_at=ctx.now(),
    )
    ctx.db.session.add(talk)
    await ctx.db.session.flush()
    text = ctx.text_for(
        other,
        "examine.confirm_push",
        name=me.name,
        day=ctx.text_for(other, "date.short", m=held_on.month, d=held_on.day),
        topics=talk.topics,
        summary=summary or "—",
    )
    buttons = rows(
        Button(ctx.text_for(other, "examine.confirm_button"), feature.payload("tc", talk.id)),
        Button(ctx.text_for(other, "examine.dispute_button"), feature.payload("tx", talk.id)),
    )
    await ctx.push(other, [Text(text, buttons)], kind="talk_confirm")
    ctx.say("examine.talk_saved", name=other.name, day=day(ctx, held_on))


async def _already(ctx: Context, me: Member, other: Member, held_on: date) -> bool:
    """The same talk recorded before, by either party: say so, write nothing."""
    query = select(Talk).where(
        Talk.held_on == held_on,
        or_(
            (col(Talk.recorded_by) == me.id) & (col(Talk.with_member) == other.id),
            (col(Talk.recorded_by) == other.id) & (col(Talk.with_member) == me.id),
        ),
    )
    found = (await ctx.db.session.exec(query)).first()
    if found is None:
        return False
    if found.confirmed_at is not None:
        ctx.say("examine.already_confirmed", name=other.name, day=day(ctx, held_on))
    elif found.recorded_by == me.id:
        ctx.say("examine.already_recorded", name=other.name, day=day(ctx, held_on))
    else:
        buttons = rows(
            Button(ctx.t("examine.confirm_button"), feature.payload("tc", found.id)),
            Button(ctx.t("examine.dispute_button"), feature.payload("tx", found.id)),
        )
        ctx.say("examine.other_recorded", name=other.name, buttons=buttons)
    return True
