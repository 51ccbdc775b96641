"""Changing a session after it is made: its time, its place, its readings, or calling it
off. Everyone expected hears of a move or a cancellation; readings simply appear."""

from __future__ import annotations

import re

from handlers.admin_ops import OpError
from handlers.context import Context
from handlers.feature import ADMINS
from handlers.files import file_link, keep_attachment
from handlers.messages import Button, Text
from handlers.study.common import clean_text, ended, feature, own_session
from handlers.study.ops import clean_place, expected, tell_expected
from handlers.study.organize import read_span, session_card
from handlers.study.reminders import settle
from handlers.study.when import example
from storage.study_models import StudySession

READINGS_LIMIT = 10
READING_LENGTH = 300
CLEAR_WORDS = ("清空", "clear")
_URL = re.compile(r"https?://\S+")


async def _changeable(ctx: Context, raw: str | None = None) -> StudySession | None:
    session = await own_session(ctx, raw)
    if session is None:
        return None
    if session.cancelled:
        ctx.say("study.is_cancelled", title=session.title)
        return None
    if ended(session, ctx.now()):
        ctx.say("study.after_end_change", title=session.title)
        return None
    return session


def _actor(ctx: Context) -> str:
    return f"member:{ctx.member.id}" if ctx.member else "chat"


@feature.button("et", access=ADMINS)
async def edit_time(ctx: Context) -> None:
    session = await _changeable(ctx)
    if session is not None:
        ctx.begin(feature.name, "edit_span", {"session": session.id})
        ctx.say("study.ask_new_span", title=session.title, example=example(ctx.now(), ctx.zone))


@feature.step("edit_span", access=ADMINS)
async def edit_span(ctx: Context) -> None:
    span = read_span(ctx)
    if span is None:
        return
    session = await _changeable(ctx, str(ctx.dialogue.data.get("session", "")))
    ctx.end()
    if session is None:
        return
    session.starts_at, session.ends_at = span
    ctx.db.session.add(session)
    await settle(ctx, session, announce=False)
    await ctx.db.audit.record(_actor(ctx), "session.move", org_id=session.org_id,
                              session=session.id)  # fmt: skip
    told = await tell_expected(ctx, session, "study.moved_push", kind="study_change", buttons=True)
    ctx.say("study.moved", count=told)
    ctx.send(await session_card(ctx, session))


@feature.button("ep", access=ADMINS)
async def edit_place(ctx: Context) -> None:
    session = await _changeable(ctx)
    if session is not None:
        ctx.begin(feature.name, "edit_place", {"session": session.id})
        ctx.say("study.ask_new_place", title=session.title)


@feature.step("edit_place", access=ADMINS)
async def edit_place_text(ctx: Context) -> None:
    try:
        place, online = clean_place(ctx.args)
    except OpError as problem:
        ctx.send(Text(ctx.t(problem.key, **problem.params)))
        return
    session = await _changeable(ctx, str(ctx.dialogue.data.get("session", "")))
    ctx.end()
    if session is None:
        return
    session.place, session.online = place, online
    ctx.db.session.add(session)
    await ctx.db.audit.record(_actor(ctx), "session.place", org_id=session.org_id,
                              session=session.id)  # fmt: skip
    told = await tell_expected(ctx, session, "study.moved_push", kind="study_change", buttons=True)
    ctx.say("study.moved", count=told)
    ctx.send(await session_card(ctx, session))


@feature.button("rd", access=ADMINS)
async def readings(ctx: Context) -> None:
    session = await _changeable(ctx)
    if session is not None:
        ctx.begin(feature.name, "readings", {"session": session.id})
        ctx.say("study.ask_readings", limit=READINGS_LIMIT)


@feature.step("readings", access=ADMINS)
async def readings_text(ctx: Context) -> None:
    if ctx.msg.attachments:
        await _reading_file(ctx)
        return
    if clean_text(ctx.args).casefold() in DONE_WORDS:
        session = await _changeable(ctx, str(ctx.dialogue.data.get("session", "")))
        ctx.end()
        if session is not None:
            ctx.say("study.readings_saved", count=len(session.readings))
            ctx.send(await session_card(ctx, session))
        return
    lines = [clean_text(line) for line in ctx.args.splitlines() if clean_text(line)]
    if not lines:
        ctx.say("study.readings_text_only")
        return
    if any(len(line) > READING_LENGTH for line in lines):
        ctx.say("study.reading_too_long", limit=READING_LENGTH)
        return
    session = await _changeable(ctx, str(ctx.dialogue.data.get("session", "")))
    ctx.end()
    if session is None:
        return
    if clean_text(ctx.args).casefold() in CLEAR_WORDS:
        session.readings = []
    else:
        found = [_reading(line) for line in lines]
        if len(session.readings) + len(found) > READINGS_LIMIT:
            ctx.say("study.readings_full", limit=READINGS_LIMIT, count=len(session.readings))
            return
        session.readings = [*session.readings, *found]
    ctx.db.session.add(session)
    ctx.say("study.readings_saved", count=len(session.readings))
    ctx.send(await session_card(ctx, session))


async def _reading_file(ctx: Context) -> None:
    """A document or picture sent as a reading: kept by us, shown as a link that opens in
    any app (and in the phone's calendar), titled by its caption or its name."""
    session = await _changeable(ctx, str(ctx.dialogue.data.get("session", "")))
    if session is None:
        ctx.end()
        return
    if len(session.readings) >= READINGS_LIMIT:
        ctx.say("study.readings_full", limit=READINGS_LIMIT, count=len(session.readings))
        return
    kept = await keep_attachment(ctx)
    if kept is None:
        return
    title = clean_text(ctx.args)[:READING_LENGTH] or kept.name
    session.readings = [*session.readings, {"title": title, "url": file_link(ctx, kept)}]
    ctx.db.session.add(session)
    ctx.say("study.reading_file_saved", count=len(session.readings))


DONE_WORDS = ("完成", "done")


def _reading(line: str) -> dict[str, str]:
    """``《论群众路线》 https://…``: a title, a link, or both."""
    link = _URL.search(line)
    url = link.group(0) if link else ""
    title = " ".join(_URL.sub(" ", line).split())
    return {"title": title or url, "url": url}


@feature.button("cx", access=ADMINS)
async def cancel_ask(ctx: Context) -> None:
    session = await _changeable(ctx)
    if session is None:
        return
    me = ctx.member.id if ctx.member else None
    people = [m for m in await expected(ctx, session) if m.id != me]
    sure = Button(ctx.t("study.btn_cancel_sure"), feature.payload("cxy", session.id))
    keep = Button(ctx.t("study.btn_keep"), feature.payload("s", session.id))
    ctx.send(Text(ctx.t("study.cancel_ask", title=session.title, count=len(people)),
                  ((sure, keep),)))  # fmt: skip


@feature.button("cxy", access=ADMINS)
async def cancel_session(ctx: Context) -> None:
    session = await _changeable(ctx)
    if session is None:
        return
    session.cancelled = True
    ctx.db.session.add(session)
    await ctx.db.audit.record(_actor(ctx), "session.cancel", org_id=session.org_id,
                              session=session.id)  # fmt: skip
    told = await tell_expected(
        ctx, session, "study.cancelled_push", kind="study_change", buttons=False
    )
    ctx.say("study.cancelled", title=session.title, count=told)
