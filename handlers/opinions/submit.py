"""Submitting an opinion: a named one into the inbox at once; an anonymous one stored with
nothing that points back to its author, answered with a receipt code."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from handlers.context import Context
from handlers.feature import MEMBERS
from handlers.messages import Forget
from handlers.opinions.common import feature, leaders, main_leader, target_buttons
from handlers.opinions.compose import at_step, flag
from storage.anonymity import (
    display_receipt,
    new_pseudonym,
    new_receipt,
    receipt_hash,
    receipt_salt,
)
from storage.opinion_models import AnonThread, Opinion, OpinionMessage, Side, Status
from storage.opinion_models import Target as T


@feature.button("send", access=MEMBERS)
async def submit(ctx: Context) -> None:
    if not at_step(ctx, "confirm"):
        ctx.say("opinions.nothing_to_send")
        return
    if not await _target_still_there(ctx):
        ctx.dialogue.step = "target"
        ctx.say("opinions.target_gone", buttons=target_buttons(ctx, flag(ctx)))
        return
    if ctx.dialogue.anonymous:
        await _submit_anonymous(ctx)
    else:
        await _submit_named(ctx)


async def _submit_named(ctx: Context) -> None:
    data, member, org = ctx.dialogue.data, ctx.member, ctx.org
    assert member is not None and org is not None
    opinion = Opinion(
        org_id=org.id,
        author_id=member.id,
        target=data["target"],
        target_id=data.get("target_id"),
        category=data["category"],
        created_at=ctx.now(),
    )
    await _route_to_main_leader(ctx, opinion)
    message = OpinionMessage(
        opinion_id=0,
        side=Side.author,
        text="\n".join(data["text"]),
        sender_id=member.id,
        attachments=data["files"],
        created_at=ctx.now(),
    )
    await ctx.db.opinions.add(opinion, message)
    ctx.end()
    ctx.say("opinions.sent_named", id=opinion.id, days=org.opinion_reply_days)


async def _submit_anonymous(ctx: Context) -> None:
    data, org = ctx.dialogue.data, ctx.org
    assert org is not None and org.id is not None
    code = new_receipt()
    digest = await asyncio.to_thread(receipt_hash, code, await receipt_salt(ctx.db.session))
    thread = AnonThread(
        org_id=org.id,
        receipt_hash=digest,
        pseudonym=await _free_pseudonym(ctx, org.id),
        target=data["target"],
        target_id=data.get("target_id"),
        category=data["category"],
        received_on=ctx.today(),
    )
    await _route_to_main_leader(ctx, thread)
    await ctx.db.opinions.add_thread(thread, "\n".join(data["text"]))
    refs = tuple(data["refs"])
    ctx.services.anon_submissions.hit((ctx.msg.channel, ctx.msg.user_key))
    ctx.end()
    ctx.say("opinions.sent_anon", code=display_receipt(code))
    if refs:
        ctx.send(Forget(refs))


async def _target_still_there(ctx: Context) -> bool:
    """A leader who left or a department removed since the draft began."""
    target, target_id = ctx.dialogue.data.get("target"), ctx.dialogue.data.get("target_id")
    if target == T.leader:
        return target_id in {m.id for m in await leaders(ctx)}
    if target == T.department:
        org_id = ctx.org.id if ctx.org and ctx.org.id else 0
        return target_id in {d.id for d in await ctx.db.orgs.departments(org_id)}
    return True


async def _route_to_main_leader(ctx: Context, opinion: Opinion | AnonThread) -> None:
    """The campaign's rule: an opinion about one leader goes to the main leader, who
    relays it. About the main leader themself, it stays with the campaign office."""
    if opinion.target != T.leader:
        return
    main = await main_leader(ctx)
    if main is not None and main.id != opinion.target_id:
        opinion.assignee_id, opinion.status = main.id, Status.assigned


async def _free_pseudonym(ctx: Context, org_id: int) -> str:
    while True:
        name = new_pseudonym()
        query = select(AnonThread.id).where(
            AnonThread.org_id == org_id, AnonThread.pseudonym == name
        )
        if (await ctx.db.session.exec(query)).first() is None:
            return name
