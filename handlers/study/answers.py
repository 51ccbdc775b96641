"""A member's answer to a session: 我会参加 in one tap, or 请假 with a reason in one
message, which goes to the organizer at once."""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import MEMBERS
from handlers.messages import Text
from handlers.study.common import (
    clean_text,
    ended,
    expects,
    feature,
    lang_of,
    organizers,
    own_session,
    session_lines,
    words,
)
from handlers.study.when import format_span
from storage.study_models import StudySession

REASON_LIMIT = 500


async def _answerable(ctx: Context, raw: str | None = None) -> StudySession | None:
    """The session, if this member may still answer for it; otherwise says why not."""
    session = await own_session(ctx, raw)
    if session is None or ctx.member is None:
        return None
    if session.cancelled:
        ctx.say("study.is_cancelled", title=session.title)
    elif ended(session, ctx.now()):
        ctx.say("study.after_end", title=session.title)
    elif not expects(session, ctx.member):
        ctx.say("study.not_expected", title=session.title)
    else:
        answer = await ctx.db.study.attendance(session.id or 0, ctx.member.id or 0)
        if answer is not None and answer.checked_in_at is not None:
            ctx.say("study.already_in", title=session.title)
            return None
        return session
    return None


@feature.button("go", access=MEMBERS)
async def will_attend(ctx: Context) -> None:
    session = await _answerable(ctx)
    if session is None or ctx.member is None:
        return
    answer = await ctx.db.study.answer(session.id or 0, ctx.member.id or 0)
    was_leave = answer.rsvp == "leave"
    answer.rsvp, answer.leave_reason = "yes", None
    ctx.db.session.add(answer)
    if ctx.dialogue.feature == feature.name and ctx.dialogue.step == "leave":
        ctx.end()
    lines = session_lines(ctx.t, session, ctx.zone, ctx.lang)
    key = "study.yes_after_leave" if was_leave else "study.yes_noted"
    ctx.send(Text("\n".join([ctx.t(key), *lines])))


@feature.button("lv", access=MEMBERS)
async def ask_leave(ctx: Context) -> None:
    session = await _answerable(ctx)
    if session is None or ctx.member is None:
        return
    answer = await ctx.db.study.attendance(session.id or 0, ctx.member.id or 0)
    if answer is not None and answer.rsvp == "leave":
        ctx.say("study.leave_already", title=session.title, reason=answer.leave_reason or "")
        return
    ctx.begin(feature.name, "leave", {"session": session.id})
    ctx.say("study.ask_reason", title=session.title, limit=REASON_LIMIT)


@feature.step("leave", access=MEMBERS)
async def leave_reason(ctx: Context) -> None:
    reason = clean_text(ctx.args)
    if not reason:
        ctx.say("study.reason_text_only")
        return
    if len(reason) > REASON_LIMIT:
        ctx.say("study.reason_too_long", limit=REASON_LIMIT, length=len(reason))
        return
    raw = str(ctx.dialogue.data.get("session", ""))
    ctx.end()
    session = await _answerable(ctx, raw)
    if session is None or ctx.member is None or session.id is None:
        return
    answer = await ctx.db.study.answer(session.id, ctx.member.id or 0)
    answer.rsvp, answer.leave_reason = "leave", reason
    ctx.db.session.add(answer)
    for organizer in await organizers(ctx, session):
        if organizer.id == ctx.member.id:
            continue
        lang = lang_of(ctx, organizer)
        t = words(ctx, lang)
        text = t(
            "study.leave_push",
            name=ctx.member.name,
            title=session.title,
            when=format_span(session.starts_at, session.ends_at, ctx.zone, lang),
            reason=reason,
        )
        await ctx.push(organizer, [Text(text)], kind="study_leave")
    ctx.say("study.leave_noted", title=session.title)
