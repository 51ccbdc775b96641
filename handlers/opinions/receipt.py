"""The receipt code opens an anonymous thread: read its replies and answer back, still
anonymously. The code is the only key; the thread is held in memory while it is open."""

from __future__ import annotations

import asyncio

from handlers.context import Context
from handlers.feature import MEMBERS
from handlers.messages import Button, Forget, Text
from handlers.opinions.common import day_label, feature, target_label
from handlers.opinions.compose import at_step
from storage.anonymity import (
    display_receipt,
    looks_like_receipt,
    parse_receipt,
    receipt_hash,
    receipt_salt,
    strip_format_characters,
)
from storage.opinion_models import AnonThread, Side, Status

REPLY_LIMIT = 2000


@feature.command("receipt", access=MEMBERS, keywords=("回执",))
async def receipt(ctx: Context) -> None:
    if not ctx.args:
        ctx.begin(feature.name, "code", anonymous=True)
        ctx.say("opinions.ask_receipt")
        return
    await _open(ctx, ctx.args)


@feature.step("code", access=MEMBERS)
async def receipt_code(ctx: Context) -> None:
    await _open(ctx, ctx.args)


async def _open(ctx: Context, text: str) -> None:
    key = (ctx.msg.channel, ctx.msg.user_key)
    guesses = ctx.services.receipt_guesses
    if ctx.msg.ref:
        ctx.send(Forget((ctx.msg.ref,)))  # the code should not sit in the chat history
    if guesses.blocked(key):
        ctx.end()
        ctx.say("opinions.receipt_too_many")
        return
    code, problem = parse_receipt(text)
    if code is None:
        guesses.hit(key)
        ctx.end()
        ctx.say(f"opinions.receipt_{problem}", example=display_receipt("7K3F9QXD2MABC4EFGH5J"))
        return
    digest = await asyncio.to_thread(receipt_hash, code, await receipt_salt(ctx.db.session))
    thread = await ctx.db.opinions.thread_by_hash(digest)
    if thread is None or (ctx.org is not None and thread.org_id != ctx.org.id):
        guesses.hit(key)
        ctx.end()
        ctx.say("opinions.receipt_unknown")
        return
    ctx.begin(feature.name, "open", {"thread": thread.id}, anonymous=True)
    ctx.send(await thread_view(ctx, thread))


async def thread_view(ctx: Context, thread: AnonThread, *, for_author: bool = True) -> Text:
    """The thread as its receipt holder sees it, or as the office does: only what the
    daily batch released, the author under the thread's pseudonym."""
    lines = [
        ctx.t(
            "opinions.thread_header",
            pseudonym=thread.pseudonym,
            status=ctx.t(f"opinions.status_{thread.status}"),
            day=day_label(ctx, thread.received_on),
            target=await target_label(ctx, thread.target, thread.target_id),
            category=ctx.t(f"category.{thread.category}"),
        )
    ]
    author = (
        ctx.t("opinions.you") if for_author else ctx.t("opinions.pseudonym", tag=thread.pseudonym)
    )
    for post in await ctx.db.opinions.posts(thread.id, released_only=not for_author):
        who = author if post.side == Side.author else post.office or ""
        lines.append(
            ctx.t(
                "opinions.post_line", who=who, day=day_label(ctx, post.received_on), text=post.text
            )
        )
        if post.side == Side.author and not post.released:
            lines.append(ctx.t("opinions.post_waiting"))
    if thread.status == Status.closed:
        lines.append(ctx.t("opinions.closed_reason", reason=thread.closed_reason or ""))
        return Text("\n".join(lines))
    if not for_author:
        return Text("\n".join(lines))
    answer = Button(ctx.t("opinions.answer_back"), feature.payload("ra", "a"))
    return Text("\n".join(lines), ((answer,),))


@feature.button("ra", access=MEMBERS)
async def answer_back(ctx: Context) -> None:
    if not at_step(ctx, "open"):
        ctx.say("opinions.anon_lost")
        return
    ctx.dialogue.step = "answer"
    ctx.say("opinions.ask_answer", limit=REPLY_LIMIT)


@feature.step("answer", access=MEMBERS)
async def answer_text(ctx: Context) -> None:
    words = strip_format_characters(ctx.args)
    refs = (ctx.msg.ref,) if ctx.msg.ref else ()
    if not words:
        ctx.say("opinions.answer_text_only")
        return
    if looks_like_receipt(words):
        ctx.say("opinions.is_receipt")
        return
    if len(words) > REPLY_LIMIT:
        ctx.say("opinions.answer_too_long", limit=REPLY_LIMIT, length=len(words))
        return
    thread = await ctx.db.opinions.thread(ctx.dialogue.data.get("thread", 0))
    ctx.end()
    if thread is None or thread.status == Status.closed:
        ctx.say("opinions.answer_closed")
        return
    await ctx.db.opinions.add_post(thread, Side.author, words, ctx.today())
    ctx.say("opinions.answer_sent")
    if refs:
        ctx.send(Forget(refs))
