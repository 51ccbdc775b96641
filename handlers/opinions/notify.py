"""Telling people what became of their opinion: named authors get a push; anonymous
authors find it in their thread, and every member of the organization gets the same
daily notice that anonymous opinions have news (SPEC §6: never a notice to one)."""

from __future__ import annotations

from handlers.context import Context
from handlers.messages import Button, Text
from handlers.opinions.common import feature
from handlers.opinions.items import Item
from storage.opinion_models import AnonThread, Side, Status


async def tell_author(ctx: Context, item: Item, key: str, office: str, **params: object) -> None:
    """``key`` names the news; for an anonymous thread it becomes an office post."""
    if isinstance(item.row, AnonThread):
        text = ctx.text_for_default(key, id=item.row.pseudonym, office=office, **params)
        await ctx.db.opinions.add_post(item.row, Side.office, text, ctx.today(), office=office)
        await anonymous_news(ctx, item.row.org_id)
        return
    author = await ctx.db.members.get(item.row.author_id)
    if author is None or not author.active:
        return
    buttons = [Button(ctx.text_for(author, "opinions.view"), feature.payload("mv", item.row.id))]
    if item.row.status != Status.closed:
        answer = ctx.text_for(author, "opinions.answer_back")
        buttons.insert(0, Button(answer, feature.payload("ma", item.row.id)))
    text = ctx.text_for(author, key, id=item.row.id, office=office, **params)
    await ctx.push(author, [Text(text, (tuple(buttons),))], kind="opinion_news")


async def anonymous_news(ctx: Context, org_id: int) -> None:
    """At most one notice a day per organization, the same to every member."""
    day = ctx.today().isoformat()
    for member in await ctx.db.members.in_org(org_id):
        await ctx.push(
            member,
            [Text(ctx.text_for(member, "opinions.anon_notice"))],
            kind="anon_notice",
            dedupe_key=f"anon-notice:{org_id}:{day}:{member.id}",
        )


async def tell_staff(ctx: Context, member_ids: list[int], item: Item, key: str) -> None:
    for member_id in dict.fromkeys(member_ids):
        member = await ctx.db.members.get(member_id)
        if member is None or not member.active:
            continue
        view = Button(ctx.text_for(member, "opinions.view"), feature.payload("v", item.ref))
        label = (
            ctx.text_for(member, "opinions.pseudonym", tag=item.row.pseudonym)
            if isinstance(item.row, AnonThread)
            else f"#{item.row.id}"
        )
        text = ctx.text_for(member, key, item=label)
        await ctx.push(member, [Text(text, ((view,),))], kind="opinion_staff")


async def tell_problem_sources(
    ctx: Context, problem_id: int, key: str, office: str, **params: object
) -> None:
    """News about a problem (linked to a rectification item, the item finished) goes to
    everyone whose opinion it consolidates: a push to named authors, a thread post for
    anonymous ones."""
    named, anonymous = await ctx.db.opinions.problem_sources(problem_id)
    for row in (*named, *anonymous):
        await tell_author(ctx, Item(row), key, office, **params)
