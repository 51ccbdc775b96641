"""The inbox in chat, for the campaign office and for leaders: overdue first, every
opinion answered. Anonymous threads appear only under their pseudonyms."""

from __future__ import annotations

from collections import Counter

from handlers.context import Context
from handlers.feature import LEADERS, param_id
from handlers.media import attachment_replies
from handlers.messages import Button, Text, rows
from handlers.opinions.common import day_label, feature
from handlers.opinions.figures import opinion_figures
from handlers.opinions.items import Item, is_office, load_item, open_items
from handlers.opinions.mine import opinion_view
from handlers.opinions.receipt import thread_view
from storage.opinion_models import AnonThread, OpinionMessage, Status

PAGE = 8


@feature.button("ib", access=LEADERS)
async def inbox(ctx: Context) -> None:
    offset = param_id(ctx.params[0]) if ctx.params else 0
    await show_inbox(ctx, offset)


async def show_inbox(ctx: Context, offset: int = 0) -> None:
    assert ctx.org is not None
    items = await open_items(ctx)
    days = ctx.org.opinion_reply_days
    counts = Counter(i.row.status for i in items)
    overdue = sum(i.overdue(ctx, days) for i in items)
    header = ctx.t(
        "opinions.inbox_header",
        new=counts[Status.new],
        assigned=counts[Status.assigned],
        replied=counts[Status.replied],
        overdue=overdue,
    )
    if not items:
        ctx.say("opinions.inbox_empty", header=header)
        return
    page = items[offset : offset + PAGE]
    buttons = [Button(_item_button(ctx, i, days), feature.payload("v", i.ref)) for i in page]
    if offset + PAGE < len(items):
        buttons.append(Button(ctx.t("opinions.more_items"), feature.payload("ib", offset + PAGE)))
    ctx.send(Text(header, rows(*buttons, per_row=1)))


def _item_button(ctx: Context, item: Item, days: int) -> str:
    mark = ctx.t("opinions.overdue_mark") if item.overdue(ctx, days) else ""
    return ctx.t(
        "opinions.item_button",
        mark=mark,
        label=item.label(ctx),
        category=ctx.t(f"category.{item.row.category}"),
        status=ctx.t(f"opinions.status_{item.row.status}"),
        age=item.age(ctx),
    )


@feature.button("v", access=LEADERS)
async def view(ctx: Context) -> None:
    item = await load_item(ctx, ctx.params[0] if ctx.params else "")
    if item is None:
        return
    ctx.send(await item_view(ctx, item))


async def item_view(ctx: Context, item: Item) -> Text:
    if isinstance(item.row, AnonThread):
        body = (await thread_view(ctx, item.row, for_author=False)).text
    else:
        body = (await opinion_view(ctx, item.row, for_author=False)).text
    assignee = await ctx.db.members.get(item.row.assignee_id) if item.row.assignee_id else None
    if assignee is not None:
        body += "\n" + ctx.t("opinions.assigned_to", name=assignee.name)
    if item.row.status == Status.closed:
        return Text(body)
    actions = [Button(ctx.t("opinions.act_reply"), feature.payload("rp", item.ref))]
    if not item.anonymous and any(m.attachments for m in await _messages(ctx, item)):
        actions.append(Button(ctx.t("opinions.act_files"), feature.payload("att", item.ref)))
    if is_office(ctx):
        actions += [
            Button(ctx.t("opinions.act_assign"), feature.payload("as", item.ref)),
            Button(ctx.t("opinions.act_category"), feature.payload("ct", item.ref)),
            Button(ctx.t("opinions.act_merge"), feature.payload("mg", item.ref)),
        ]
    actions.append(Button(ctx.t("opinions.act_close"), feature.payload("cl", item.ref)))
    return Text(body, rows(*actions, per_row=3))


async def _messages(ctx: Context, item: Item) -> list[OpinionMessage]:
    return await ctx.db.opinions.messages(item.row.id)  # type: ignore[arg-type]


@feature.button("att", access=LEADERS)
async def attachments(ctx: Context) -> None:
    """The photos and files a named opinion carries, fetched back from their channel."""
    item = await load_item(ctx, ctx.params[0] if ctx.params else "")
    if item is None or item.anonymous:
        return
    files = [a for m in await _messages(ctx, item) for a in m.attachments]
    for reply in await attachment_replies(ctx, files):
        ctx.send(reply)
    if not files:
        ctx.say("opinions.no_files")


@feature.button("st", access=LEADERS)
async def stats(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None
    figures = await opinion_figures(ctx.db, [ctx.org.id], ctx.now(), ctx.zone)
    lines = [ctx.t("opinions.stats_header")]
    for category, received, answered, overdue in figures.rows():
        lines.append(
            ctx.t(
                "opinions.stats_line", category=ctx.t(f"category.{category}"),
                received=received, answered=answered, overdue=overdue,
            )
        )  # fmt: skip
    if len(lines) == 1:
        lines.append(ctx.t("opinions.stats_none"))
    ctx.send(Text("\n".join(lines)))


@feature.button("pl", access=LEADERS)
async def problems(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None
    found = await ctx.db.opinions.problems(ctx.org.id)
    if not found:
        ctx.say("opinions.problems_none")
        return
    lines = [ctx.t("opinions.problems_header")]
    for problem in found:
        named, anon = await ctx.db.opinions.problem_sources(problem.id)  # type: ignore[arg-type]
        lines.append(
            ctx.t(
                "opinions.problem_line",
                id=problem.id,
                title=problem.title,
                category=ctx.t(f"category.{problem.category}"),
                count=len(named) + len(anon),
                day=day_label(ctx, problem.created_at.astimezone(ctx.zone).date()),
            )
        )
    ctx.send(Text("\n".join(lines)))
