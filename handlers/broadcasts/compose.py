"""Writing a broadcast in the chat: text → audience (with how many it reaches) → now or a
time → once or repeating until a day → confirm. "Now" goes to the outbox in the same
transaction; a later time is left to the scheduler."""

from __future__ import annotations

from datetime import date, datetime

from handlers.admin_ops import OpError
from handlers.broadcasts.common import (
    ALL,
    REPEATS,
    TEXT_LIMIT,
    audience_counts,
    audience_label,
    counts_by_role,
    feature,
    number,
    parse_send_time,
    parse_until,
    preview,
    refusal,
    repeat_label,
    when_label,
)
from handlers.broadcasts.manage import progress_button, show_active
from handlers.broadcasts.ops import create_broadcast, start_now
from handlers.context import Context
from handlers.feature import ADMINS
from handlers.files import keep_attachment
from handlers.messages import Button, rows
from handlers.timeparse import TimeParseError
from storage.models import Role


@feature.command("broadcast", access=ADMINS, keywords=("广播",))
async def broadcast(ctx: Context) -> None:
    ctx.begin(feature.name, "text")
    if ctx.args.strip():
        await _take_text(ctx, ctx.args)
        return
    await show_active(ctx)
    ctx.say("broadcasts.ask_text", limit=TEXT_LIMIT)


@feature.step("text", access=ADMINS)
async def got_text(ctx: Context) -> None:
    await _take_text(ctx, ctx.args)


async def _take_text(ctx: Context, words: str) -> None:
    words = words.strip()
    if ctx.msg.attachments:
        kept = await keep_attachment(ctx)
        if kept is None:
            return
        ctx.dialogue.data["file"] = kept.id
        if not words:
            ctx.say("broadcasts.attachment_kept", limit=TEXT_LIMIT)
            return
    if not words:
        ctx.say("broadcasts.ask_text", limit=TEXT_LIMIT)
    elif len(words) > TEXT_LIMIT:
        ctx.say("broadcasts.text_too_long", limit=TEXT_LIMIT, length=len(words))
    else:
        ctx.dialogue.data["text"] = words
        ctx.dialogue.step = "audience"
        await _ask_audience(ctx)


async def _ask_audience(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None
    counts = await counts_by_role(ctx.db, ctx.org.id)
    everyone = number(sum(counts.values()))
    buttons = [Button(ctx.t("broadcasts.to_everyone", count=everyone), feature.payload("au", ALL))]
    buttons += [
        Button(ctx.t("broadcasts.to_role", role=ctx.t(f"role.{role}"), count=number(counts[role])),
               feature.payload("au", role))
        for role in Role
        if counts.get(role)
    ]  # fmt: skip
    ctx.say("broadcasts.ask_audience", buttons=rows(*buttons, per_row=2))


@feature.button("au", access=ADMINS)
async def choose_audience(ctx: Context) -> None:
    choice = ctx.params[0] if ctx.params else ""
    if not _at(ctx, "audience") or (choice != ALL and choice not in set(Role)):
        _lost(ctx)
        return
    assert ctx.org is not None and ctx.org.id is not None
    roles = [] if choice == ALL else [choice]
    members, reachable = await audience_counts(ctx.db, ctx.org.id, roles)
    if members == 0:
        ctx.say("broadcasts.audience_empty")
        await _ask_audience(ctx)
        return
    ctx.dialogue.data["roles"] = roles
    ctx.dialogue.step = "when"
    ctx.say(
        "broadcasts.ask_when",
        audience=audience_label(ctx, roles),
        members=number(members),
        reachable=number(reachable),
        buttons=_now_button(ctx),
    )


@feature.step("when", access=ADMINS)
async def got_when(ctx: Context) -> None:
    try:
        moment = parse_send_time(ctx.args, ctx.now(), ctx.zone)
    except TimeParseError as problem:
        ctx.say("broadcasts.when_again", reason=refusal(ctx, problem), buttons=_now_button(ctx))
        return
    _set_when(ctx, None if moment == ctx.now() else moment)


@feature.button("now", access=ADMINS)
async def choose_now(ctx: Context) -> None:
    if not _at(ctx, "when"):
        _lost(ctx)
        return
    _set_when(ctx, None)


def _set_when(ctx: Context, moment: datetime | None) -> None:
    ctx.dialogue.data["at"] = moment.isoformat() if moment else None
    ctx.dialogue.step = "repeat"
    choices = [("once", "broadcasts.once"), *((r, f"broadcasts.{r}") for r in REPEATS)]
    buttons = [Button(ctx.t(label), feature.payload("rp", value)) for value, label in choices]
    ctx.say("broadcasts.ask_repeat", buttons=rows(*buttons, per_row=3))


@feature.button("rp", access=ADMINS)
async def choose_repeat(ctx: Context) -> None:
    choice = ctx.params[0] if ctx.params else ""
    if not _at(ctx, "repeat") or choice not in ("once", *REPEATS):
        _lost(ctx)
        return
    ctx.dialogue.data["repeat"] = None if choice == "once" else choice
    if choice == "once":
        await _review(ctx)
        return
    ctx.dialogue.step = "until"
    ctx.say("broadcasts.ask_until")


@feature.step("until", access=ADMINS)
async def got_until(ctx: Context) -> None:
    try:
        until = parse_until(ctx.args, _first(ctx), ctx.now(), ctx.zone)
    except TimeParseError as problem:
        ctx.say("broadcasts.until_again", reason=refusal(ctx, problem))
        return
    ctx.dialogue.data["until"] = until.isoformat()
    await _review(ctx)


async def _review(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None
    data = ctx.dialogue.data
    ctx.dialogue.step = "confirm"
    members, reachable = await audience_counts(ctx.db, ctx.org.id, data["roles"])
    until = date.fromisoformat(data["until"]) if data.get("until") else None
    ctx.say(
        "broadcasts.review",
        text=preview(data["text"], 300),
        attached=ctx.t("broadcasts.with_file") if data.get("file") else "",
        audience=audience_label(ctx, data["roles"]),
        members=number(members),
        reachable=number(reachable),
        when=when_label(ctx, _first(ctx)) if data.get("at") else ctx.t("broadcasts.right_now"),
        repeat=repeat_label(ctx, data.get("repeat"), until),
        buttons=rows(
            Button(ctx.t("broadcasts.confirm"), feature.payload("ok")),
            Button(ctx.t("broadcasts.discard"), feature.payload("no")),
        ),
    )


@feature.button("ok", access=ADMINS)
async def confirm(ctx: Context) -> None:
    if not _at(ctx, "confirm"):
        ctx.say("broadcasts.nothing_to_send")
        return
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None
    data = ctx.dialogue.data
    try:
        row = await create_broadcast(
            ctx.db, org_id=ctx.org.id, text=data["text"], roles=data["roles"],
            send_at=_first(ctx), now=ctx.now(), repeat=data.get("repeat"),
            until=date.fromisoformat(data["until"]) if data.get("until") else None,
            sender_id=ctx.member.id, actor=f"member:{ctx.member.id}", file_id=data.get("file"),
        )  # fmt: skip
    except OpError as problem:
        if problem.key == "broadcasts.at_past":
            ctx.dialogue.step = "when"
            ctx.say(problem.key, buttons=_now_button(ctx))
        else:
            ctx.end()
            ctx.say(problem.key, **problem.params)
        return
    ctx.end()
    assert row.id is not None
    if data.get("at") is None:
        count = await start_now(ctx, row)
        ctx.say("broadcasts.started", id=row.id, count=number(count),
                buttons=((progress_button(ctx, row.id),),))  # fmt: skip
    else:
        cancel = Button(ctx.t("broadcasts.cancel_button"), feature.payload("x", row.id))
        ctx.say("broadcasts.scheduled", id=row.id, when=when_label(ctx, row.send_at),
                buttons=((cancel,),))  # fmt: skip


@feature.button("no", access=ADMINS)
async def discard(ctx: Context) -> None:
    if ctx.dialogue.feature == feature.name:
        ctx.end()
    ctx.say("broadcasts.discarded")


def _first(ctx: Context) -> datetime:
    at = ctx.dialogue.data.get("at")
    return datetime.fromisoformat(at) if at else ctx.now()


def _now_button(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    return ((Button(ctx.t("broadcasts.now"), feature.payload("now")),),)


def _at(ctx: Context, step: str) -> bool:
    return ctx.dialogue.feature == feature.name and ctx.dialogue.step == step


def _lost(ctx: Context) -> None:
    ctx.say("broadcasts.no_draft")
