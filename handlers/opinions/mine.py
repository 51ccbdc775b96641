"""My named opinions: their status and every reply, and answering back."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import MEMBERS, param_id
from handlers.messages import Button, Text, rows
from handlers.opinions.common import day_label, feature, target_label
from handlers.opinions.compose import at_step
from storage.opinion_models import Opinion, OpinionMessage, Side, Status

ANSWER_LIMIT = 2000


@feature.command("my", access=MEMBERS, keywords=("我的意见",))
async def my_opinions(ctx: Context) -> None:
    assert ctx.member is not None and ctx.member.id is not None
    mine = await ctx.db.opinions.by_author(ctx.member.id)
    if not mine:
        ctx.say("opinions.mine_none")
        return
    lines = [ctx.t("opinions.mine_header")]
    buttons = []
    for opinion in mine:
        lines.append(
            ctx.t(
                "opinions.mine_line",
                id=opinion.id,
                day=_day(ctx, opinion),
                category=ctx.t(f"category.{opinion.category}"),
                status=ctx.t(f"opinions.status_{opinion.status}"),
            )
        )
        buttons.append(Button(f"#{opinion.id}", feature.payload("mv", opinion.id)))
    ctx.send(Text("\n".join(lines), rows(*buttons, per_row=4)))


@feature.button("mv", access=MEMBERS)
async def view_mine(ctx: Context) -> None:
    opinion = await _own(ctx)
    if opinion is not None:
        ctx.send(await opinion_view(ctx, opinion, for_author=True))


async def opinion_view(ctx: Context, opinion: Opinion, *, for_author: bool) -> Text:
    lines = [
        ctx.t(
            "opinions.named_header",
            id=opinion.id,
            status=ctx.t(f"opinions.status_{opinion.status}"),
            day=_day(ctx, opinion),
            target=await target_label(ctx, opinion.target, opinion.target_id),
            category=ctx.t(f"category.{opinion.category}"),
        )
    ]
    for message in await ctx.db.opinions.messages(opinion.id):  # type: ignore[arg-type]
        if message.side == Side.author:
            who = ctx.t("opinions.you") if for_author else await _author_name(ctx, message)
        else:
            who = message.office or ""
        day = day_label(ctx, message.created_at.astimezone(ctx.zone).date())
        lines.append(ctx.t("opinions.post_line", who=who, day=day, text=message.text))
        if message.attachments:
            lines.append(ctx.t("opinions.with_files", count=len(message.attachments)))
    if opinion.status == Status.closed:
        lines.append(ctx.t("opinions.closed_reason", reason=opinion.closed_reason or ""))
        return Text("\n".join(lines))
    if not for_author:
        return Text("\n".join(lines))
    answer = Button(ctx.t("opinions.answer_back"), feature.payload("ma", opinion.id))
    return Text("\n".join(lines), ((answer,),))


@feature.button("ma", access=MEMBERS)
async def answer_mine(ctx: Context) -> None:
    opinion = await _own(ctx)
    if opinion is None:
        return
    if opinion.status == Status.closed:
        ctx.say("opinions.answer_closed")
        return
    ctx.begin(feature.name, "mine_answer", {"opinion": opinion.id})
    ctx.say("opinions.ask_answer", limit=ANSWER_LIMIT)


@feature.step("mine_answer", access=MEMBERS)
async def answer_mine_text(ctx: Context) -> None:
    if not at_step(ctx, "mine_answer"):
        return
    words = ctx.args
    if not words:
        ctx.say("opinions.answer_text_only")
        return
    if len(words) > ANSWER_LIMIT:
        ctx.say("opinions.answer_too_long", limit=ANSWER_LIMIT, length=len(words))
        return
    opinion = await ctx.db.opinions.get(ctx.dialogue.data.get("opinion", 0))
    ctx.end()
    if opinion is None or ctx.member is None or opinion.author_id != ctx.member.id:
        ctx.say("opinions.not_found")
        return
    if opinion.status == Status.closed:
        ctx.say("opinions.answer_closed")
        return
    await ctx.db.opinions.post(
        OpinionMessage(
            opinion_id=opinion.id,
            side=Side.author,
            text=words,
            sender_id=ctx.member.id,
            created_at=ctx.now(),
        )
    )
    if opinion.status == Status.replied:
        opinion.status = Status.assigned if opinion.assignee_id else Status.new
        ctx.db.session.add(opinion)
    ctx.say("opinions.answer_sent_named", id=opinion.id)


async def _own(ctx: Context) -> Opinion | None:
    raw = ctx.params[0] if ctx.params else ""
    opinion = await ctx.db.opinions.get(param_id(raw))
    if opinion is None or ctx.member is None or opinion.author_id != ctx.member.id:
        ctx.say("opinions.not_found")
        return None
    return opinion


async def _author_name(ctx: Context, message: object) -> str:
    author = await ctx.db.members.get(getattr(message, "sender_id", 0))
    return author.name if author else "?"


def _day(ctx: Context, opinion: Opinion) -> str:
    return day_label(ctx, opinion.created_at.astimezone(ctx.zone).date())
