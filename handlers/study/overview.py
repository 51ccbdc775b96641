"""学习 (/study): my hours against my minimum, my next obligation, my calendar link, and
the next sessions I am expected at, each with the buttons it still needs."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.context import Context
from handlers.feature import MEMBERS
from handlers.messages import Text
from handlers.study.calendar import calendar_token, calendar_url
from handlers.study.common import (
    expects,
    feature,
    member_buttons,
    session_lines,
    status_line,
)
from handlers.study.hours import hours_lines, hours_of
from handlers.study.when import format_when
from storage.study_models import Attendance, StudySession

AHEAD = timedelta(days=60)
CARDS = 3  # sessions shown as cards; the calendar has the rest


@feature.command("study", access=MEMBERS, keywords=("学习",), stages=frozenset({"study"}))
async def study(ctx: Context) -> None:
    assert ctx.member is not None and ctx.member.id is not None and ctx.org is not None
    now = ctx.now()
    upcoming = [
        s
        for s in await ctx.db.study.sessions_between(ctx.org.id or 0, now, now + AHEAD)
        if expects(s, ctx.member)
    ]
    answers: dict[int, Attendance | None] = {
        s.id or 0: await ctx.db.study.attendance(s.id or 0, ctx.member.id) for s in upcoming
    }
    hours = await hours_of(ctx, ctx.member)
    token = await calendar_token(ctx.db, ctx.member)
    lines = [ctx.t("study.header"), *hours_lines(ctx, hours)]
    lines.append(await _next_obligation(ctx, upcoming, answers, now))
    lines.append(ctx.t("study.calendar", url=calendar_url(ctx.services.web_url, token)))
    if not upcoming:
        lines.append(ctx.t("study.no_sessions"))
    elif len(upcoming) > CARDS:
        lines.append(ctx.t("study.more_sessions", count=len(upcoming) - CARDS))
    lines.append(ctx.t("study.log_hint"))
    ctx.send(Text("\n".join(lines)))
    for session in upcoming[:CARDS]:
        answer = answers[session.id or 0]
        card = session_lines(ctx.t, session, ctx.zone, ctx.lang)
        card.append(status_line(ctx.t, answer, ctx.zone))
        ctx.send(Text("\n".join(card), member_buttons(ctx.t, session, answer, now)))


async def _next_obligation(
    ctx: Context,
    upcoming: list[StudySession],
    answers: dict[int, Attendance | None],
    now: datetime,
) -> str:
    """The earliest thing this member still owes: a session to attend or a deadline."""
    assert ctx.member is not None and ctx.org is not None
    owed: list[tuple[datetime, str]] = []
    for session in upcoming:
        answer = answers[session.id or 0]
        if answer is None or (answer.rsvp != "leave" and answer.checked_in_at is None):
            owed.append((session.starts_at, session.title))
            break
    for deadline in await ctx.db.study.open_deadlines(ctx.org.id or 0, now):
        if not ctx.db.study.includes(deadline.audience, ctx.member):
            continue
        if await ctx.db.study.submission(deadline.id or 0, ctx.member.id or 0) is None:
            owed.append((deadline.due_at, ctx.t("study.deadline_item", title=deadline.title)))
            break
    if owed:
        at, what = min(owed)
        return ctx.t("study.next", when=format_when(at, ctx.zone, ctx.lang), what=what)
    return ctx.t("study.next_none")
