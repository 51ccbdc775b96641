"""What the office and leaders do with an opinion: reply, assign, correct the category,
close with a reason, merge into a problem on the problem list."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import ADMINS, LEADERS, param_id
from handlers.messages import Button, rows
from handlers.opinions.common import category_buttons, feature, leaders, office_label
from handlers.opinions.items import Item, load_item
from handlers.opinions.notify import anonymous_news, tell_author, tell_staff
from storage.opinion_models import (
    CATEGORIES,
    AnonThread,
    OpinionMessage,
    Problem,
    Side,
    Status,
)

REPLY_LIMIT = 2000
TITLE_LIMIT = 200


@feature.button("rp", access=LEADERS)
async def reply(ctx: Context) -> None:
    if (item := await _item(ctx)) is not None:
        ctx.begin(feature.name, "reply", {"ref": item.ref})
        ctx.say("opinions.ask_reply", label=item.label(ctx), limit=REPLY_LIMIT)


@feature.step("reply", access=LEADERS)
async def reply_text(ctx: Context) -> None:
    if not (words := await _text(ctx, REPLY_LIMIT)):
        return
    item = await load_item(ctx, ctx.dialogue.data.get("ref", ""))
    ctx.end()
    if item is None or not await _still_open(ctx, item):
        return
    assert ctx.member is not None
    office = await office_label(ctx, ctx.member)
    if isinstance(item.row, AnonThread):
        await ctx.db.opinions.add_post(item.row, Side.office, words, ctx.today(), office=office)
        item.row.answered_on = item.row.answered_on or ctx.today()
        await anonymous_news(ctx, item.row.org_id)
    else:
        await ctx.db.opinions.post(
            OpinionMessage(
                opinion_id=item.row.id,
                side=Side.office,
                text=words,
                office=office,
                sender_id=ctx.member.id,
                created_at=ctx.now(),
            )
        )
        item.row.answered_at = item.row.answered_at or ctx.now()
        await tell_author(ctx, item, "opinions.reply_pushed", office, text=words)
    item.row.status = Status.replied
    ctx.db.session.add(item.row)
    await ctx.db.audit.record(_actor(ctx), "opinion.reply", org_id=item.row.org_id, item=item.ref)
    ctx.say("opinions.replied", label=item.label(ctx))


@feature.button("as", access=ADMINS)
async def assign(ctx: Context) -> None:
    if (item := await _item(ctx)) is None:
        return
    team = await leaders(ctx)
    buttons = [Button(m.name, feature.payload("ast", m.id, item.ref)) for m in team]
    ctx.say("opinions.ask_assignee", buttons=rows(*buttons, per_row=3))


@feature.button("ast", access=ADMINS)
async def assign_to(ctx: Context) -> None:
    item = await _item(ctx, index=1)
    if item is None:
        return
    chosen = param_id(ctx.params[0])
    if chosen not in {m.id for m in await leaders(ctx)}:
        ctx.say("opinions.not_found")
        return
    item.row.assignee_id = chosen
    if item.row.status == Status.new:
        item.row.status = Status.assigned
    ctx.db.session.add(item.row)
    await ctx.db.audit.record(
        _actor(ctx), "opinion.assign", org_id=item.row.org_id, item=item.ref, to=chosen
    )
    await tell_staff(ctx, [chosen], item, "opinions.assigned_push")
    leader = await ctx.db.members.get(chosen)
    ctx.say("opinions.assigned", label=item.label(ctx), name=leader.name if leader else "")


@feature.button("ct", access=ADMINS)
async def category(ctx: Context) -> None:
    if (item := await _item(ctx)) is not None:
        ctx.say("opinions.ask_category_fix", buttons=category_buttons(ctx, "ctt", item.ref))


@feature.button("ctt", access=ADMINS)
async def category_to(ctx: Context) -> None:
    item = await _item(ctx, index=1)
    if item is None or ctx.params[0] not in CATEGORIES:
        return
    item.row.category = ctx.params[0]
    ctx.db.session.add(item.row)
    await ctx.db.audit.record(
        _actor(ctx), "opinion.category", org_id=item.row.org_id, item=item.ref, to=ctx.params[0]
    )
    ctx.say("opinions.category_set", label=item.label(ctx),
            category=ctx.t(f"category.{ctx.params[0]}"))  # fmt: skip


@feature.button("cl", access=LEADERS)
async def close(ctx: Context) -> None:
    if (item := await _item(ctx)) is not None and await _still_open(ctx, item):
        ctx.begin(feature.name, "close", {"ref": item.ref})
        ctx.say("opinions.ask_close_reason", label=item.label(ctx))


@feature.step("close", access=LEADERS)
async def close_reason(ctx: Context) -> None:
    if not (words := await _text(ctx, 500)):
        return
    item = await load_item(ctx, ctx.dialogue.data.get("ref", ""))
    ctx.end()
    if item is None or not await _still_open(ctx, item):
        return
    item.row.status, item.row.closed_reason = Status.closed, words
    ctx.db.session.add(item.row)
    assert ctx.member is not None
    office = await office_label(ctx, ctx.member)
    await tell_author(ctx, item, "opinions.closed_push", office, reason=words)
    await ctx.db.audit.record(_actor(ctx), "opinion.close", org_id=item.row.org_id, item=item.ref)
    ctx.say("opinions.closed", label=item.label(ctx))


@feature.button("mg", access=ADMINS)
async def merge(ctx: Context) -> None:
    if (item := await _item(ctx)) is None or ctx.org is None or ctx.org.id is None:
        return
    existing = await ctx.db.opinions.problems(ctx.org.id)
    buttons = [Button(f"#{p.id} {p.title[:20]}", feature.payload("mgp", p.id, item.ref))
               for p in existing[-8:]]  # fmt: skip
    buttons.append(Button(ctx.t("opinions.new_problem"), feature.payload("mgn", item.ref)))
    ctx.say("opinions.ask_problem", buttons=rows(*buttons, per_row=1))


@feature.button("mgn", access=ADMINS)
async def merge_new(ctx: Context) -> None:
    if (item := await _item(ctx)) is not None:
        ctx.begin(feature.name, "problem_title", {"ref": item.ref})
        ctx.say("opinions.ask_problem_title", limit=TITLE_LIMIT)


@feature.step("problem_title", access=ADMINS)
async def problem_title(ctx: Context) -> None:
    if not (words := await _text(ctx, TITLE_LIMIT)):
        return
    item = await load_item(ctx, ctx.dialogue.data.get("ref", ""))
    ctx.end()
    if item is None or ctx.org is None or ctx.org.id is None:
        return
    problem = await ctx.db.opinions.add_problem(
        Problem(org_id=ctx.org.id, title=words, category=item.row.category, created_at=ctx.now())
    )
    await _merge_into(ctx, item, problem)


@feature.button("mgp", access=ADMINS)
async def merge_existing(ctx: Context) -> None:
    item = await _item(ctx, index=1)
    raw = ctx.params[0] if ctx.params else ""
    problem = await ctx.db.opinions.problem(param_id(raw))
    if item is None or problem is None or ctx.org is None or problem.org_id != ctx.org.id:
        if item is not None:
            ctx.say("opinions.not_found")
        return
    await _merge_into(ctx, item, problem)


async def _merge_into(ctx: Context, item: Item, problem: Problem) -> None:
    item.row.problem_id = problem.id
    ctx.db.session.add(item.row)
    assert ctx.member is not None
    office = await office_label(ctx, ctx.member)
    await tell_author(ctx, item, "opinions.merged_push", office, title=problem.title)
    await ctx.db.audit.record(
        _actor(ctx), "opinion.merge", org_id=item.row.org_id, item=item.ref, problem=problem.id
    )
    ctx.say("opinions.merged", label=item.label(ctx), id=problem.id, title=problem.title)


async def _item(ctx: Context, index: int = 0) -> Item | None:
    ref = ctx.params[index] if len(ctx.params) > index else ""
    return await load_item(ctx, ref)


async def _still_open(ctx: Context, item: Item) -> bool:
    if item.row.status == Status.closed:
        ctx.say("opinions.already_closed", label=item.label(ctx))
        return False
    return True


async def _text(ctx: Context, limit: int) -> str:
    words = ctx.args.strip()
    if not words:
        ctx.say("opinions.answer_text_only")
    elif len(words) > limit:
        ctx.say("opinions.answer_too_long", limit=limit, length=len(words))
    else:
        return words
    return ""


def _actor(ctx: Context) -> str:
    return f"member:{ctx.member.id}" if ctx.member else "?"
