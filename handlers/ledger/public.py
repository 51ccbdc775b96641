"""The public ledger (公示): public items with their status and latest progress, rating
buttons on finished ones, and the rating results once they may be shown."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import MEMBERS
from handlers.ledger.bulletin_chat import latest_published
from handlers.ledger.common import RECTIFY, day, feature, is_office, latest, status_words
from handlers.ledger.ratings import open_for_rating, rating_buttons, results
from handlers.messages import Button, Text
from storage.ledger_models import ItemStatus

SHOWN = 10


@feature.command("ledger", access=MEMBERS, keywords=("公示",), stages=RECTIFY)
async def public_ledger(ctx: Context) -> None:
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None
    items = [i for i in await ctx.db.ledger.public(ctx.org.id) if i.parent_id is None]
    published = await latest_published(ctx, ctx.org.id)
    if published is not None:
        ctx.say("ledger.bulletin_public", month=published.month, text=published.text)
    if not items:
        ctx.say("ledger.public_none")
        return
    ctx.say("ledger.public_header", count=len(items))
    for item in items[:SHOWN]:
        line = await latest(ctx, item)
        text = ctx.t(
            "ledger.public_line",
            id=item.id,
            content=item.content,
            goal=item.goal,
            deadline=day(ctx, item.deadline),
            status=status_words(ctx, item),
            percent=item.percent,
            latest=line.text if line else ctx.t("ledger.no_report"),
            pledge=item.pledge or "—",
        )
        buttons: tuple[tuple[Button, ...], ...] = ()
        if item.status == ItemStatus.done:
            text += "\n" + results(ctx, item, await ctx.db.ledger.tally(item.id))  # type: ignore[arg-type]
            rated = await ctx.db.ledger.has_rated(item.id, ctx.member.id)  # type: ignore[arg-type]
            pending = ctx.services.ratings.holds(item.org_id, (item.id, ctx.member.id))
            if open_for_rating(ctx, item) and not rated and not pending:
                buttons = (rating_buttons(ctx, item),)
        if item.flagged and is_office(ctx):
            text += "\n" + ctx.t("ledger.flagged")
            buttons += ((Button(ctx.t("ledger.reopen"), feature.payload("reopen", item.id)),),)
        ctx.send(Text(text, buttons))
    if len(items) > SHOWN:
        ctx.say("ledger.public_more", count=len(items) - SHOWN)
