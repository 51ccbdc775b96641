"""Study sessions for the web console: the form (a title, a time typed as people say it,
a place or link, an audience, readings) checked field by field; creating through the
operation the chat and the command line share (handlers/study/ops.py); changing time,
place and readings with the chat's reminders and notices; cancelling, the attendance
sheet and the check-in code through the chat's own handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.admin_ops import OpError
from handlers.console_ops.context import OpContext, actor, finish, stamp
from handlers.console_ops.forms import Form, text
from handlers.messages import File
from handlers.study import attendance as sheet
from handlers.study import manage
from handlers.study.checkin import STEP, code_at
from handlers.study.common import clean_text, ended, window_opens
from handlers.study.ops import (
    PLACE_LIMIT,
    TITLE_LIMIT,
    check_span,
    clean_place,
    create_session,
    tell_expected,
)
from handlers.study.organize import RANKS, ROLES
from handlers.study.reminders import settle
from handlers.study.when import WhenError, parse_span
from storage.study_models import StudySession

FIELDS = ("title", "when", "place", "readings")
READINGS_LIMIT, READING_LENGTH = manage.READINGS_LIMIT, manage.READING_LENGTH
WHEN_WORDS = {  # the chat's words ask to "send" a time; the console's sit beside a field
    "study.when_past": "console.err_when_past",
    "study.when_order": "console.err_when_order",
    "study.when_too_long": "console.err_when_long",
    "study.when_need_hours": "console.err_when_hours",
}


def span_text(session: StudySession, ctx: OpContext) -> str:
    """The session's time as it would be typed, so that it reads back the same."""
    start, end = session.starts_at.astimezone(ctx.zone), session.ends_at.astimezone(ctx.zone)
    tail = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{start:%Y-%m-%d %H:%M}-{tail}"


def readings_text(session: StudySession) -> str:
    """One reading a line, as the form takes them: a title, a link, or both."""
    lines = []
    for reading in session.readings:
        title, url = reading.get("title") or "", reading.get("url") or ""
        lines.append(url if title == url else " ".join(p for p in (title, url) if p))
    return "\n".join(lines)


def values_of(session: StudySession, ctx: OpContext) -> dict[str, str]:
    return {"title": session.title, "when": span_text(session, ctx),
            "place": session.place or "", "readings": readings_text(session)}  # fmt: skip


async def check(
    ctx: OpContext,
    values: dict[str, str],
    roles: list[str],
    ranks: list[str],
    *,
    was: StudySession | None = None,
) -> Form:
    """Every field checked; the time read in the organization's zone."""
    assert ctx.org is not None and ctx.org.id is not None
    form = Form.of(values, FIELDS)
    if was is None:
        text(ctx, form, "title", TITLE_LIMIT, label=ctx.t("console.f_session_title"))
    if place := text(ctx, form, "place", PLACE_LIMIT):
        form.clean["place"], form.clean["online"] = clean_place(place)
    _when(ctx, form, was)
    lines = [clean_text(line) for line in form.values["readings"].splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > READINGS_LIMIT:
        form.fail("readings", ctx.t("console.err_readings", limit=READINGS_LIMIT))
    elif any(len(line) > READING_LENGTH for line in lines):
        form.fail("readings", ctx.t("console.err_reading_long", limit=READING_LENGTH))
    form.clean["readings"] = [manage._reading(line) for line in lines]
    if was is None:
        chosen = {"roles": [r for r in ROLES if r in roles],
                  "ranks": [r for r in RANKS if r in ranks]}  # fmt: skip
        if len(chosen["roles"]) != len(set(roles)) or len(chosen["ranks"]) != len(set(ranks)):
            form.fail("audience", ctx.t("console.err_choice"))
        audience = {k: [str(x) for x in v] for k, v in chosen.items() if v}
        form.clean["audience"] = audience
        if audience and not await ctx.db.study.audience(ctx.org.id, audience):
            form.fail("audience", ctx.t("console.err_audience_empty"))
    return form


def _when(ctx: OpContext, form: Form, was: StudySession | None) -> None:
    typed = form.values["when"]
    form.clean["span"] = None
    if was is not None and typed == span_text(was, ctx):
        return  # unchanged: a running session keeps its time without being refused
    if not typed:
        form.fail("when", ctx.t("console.err_required", field=ctx.t("console.f_when")))
        return
    now = ctx.now()
    try:
        start, end = parse_span(typed, now, ctx.zone)
        check_span(start, end, now)
    except WhenError as problem:
        params = problem.params_for(ctx.zone, ctx.lang, now=now)
        form.fail("when", ctx.t(WHEN_WORDS.get(problem.reason_key, problem.reason_key), **params))
        return
    except OpError as problem:
        form.fail("when", ctx.t(WHEN_WORDS.get(problem.key, problem.key), **problem.params))
        return
    form.clean["span"] = (start, end)


async def create(ctx: OpContext, form: Form) -> tuple[StudySession, int]:
    """The session, made as the chat makes it; and how many were reminded at once."""
    assert ctx.org is not None and ctx.member is not None and form.ok
    start, end = form.clean["span"]
    session, reminded = await create_session(
        ctx, ctx.org, title=form.clean["title"], starts_at=start, ends_at=end,
        place=form.clean["place"], online=form.clean["online"], audience=form.clean["audience"],
        created_by=ctx.member, actor=actor(ctx.member),
    )  # fmt: skip
    if form.clean["readings"]:
        session.readings = form.clean["readings"]
        ctx.db.session.add(session)
    stamp(ctx, ctx.org.id)
    return session, reminded


def changeable(session: StudySession, now: datetime) -> bool:
    return not session.cancelled and not ended(session, now)


async def change(ctx: OpContext, session: StudySession, form: Form) -> list[str]:
    """A new time, place or readings: the same reminders and notices as the chat's."""
    assert ctx.member is not None and form.ok
    who, moved = actor(ctx.member), False
    if form.clean["span"] is not None and form.clean["span"] != (session.starts_at,
                                                                 session.ends_at):  # fmt: skip
        session.starts_at, session.ends_at = form.clean["span"]
        await settle(ctx, session, announce=False)
        await ctx.db.audit.record(who, "session.move", org_id=session.org_id, session=session.id)
        moved = True
    if form.clean["place"] != session.place:
        session.place, session.online = form.clean["place"], form.clean["online"]
        await ctx.db.audit.record(who, "session.place", org_id=session.org_id, session=session.id)
        moved = True
    said: list[str] = []
    if form.clean["readings"] != session.readings:
        session.readings = form.clean["readings"]
        await ctx.db.audit.record(who, "session.readings", org_id=session.org_id,
                                  session=session.id)  # fmt: skip
        said.append(ctx.t("study.readings_saved", count=len(session.readings)))
    ctx.db.session.add(session)
    if moved:
        told = await tell_expected(ctx, session, "study.moved_push", kind="study_change",
                                   buttons=True)  # fmt: skip
        said.insert(0, ctx.t("study.moved", count=told))
    stamp(ctx, session.org_id)
    return said or [ctx.t("console.session_unchanged")]


async def cancel(ctx: OpContext, session: StudySession) -> list[str]:
    """Through the chat's own handler: everyone expected hears of it."""
    ctx.params = (str(session.id),)
    await manage.cancel_session(ctx)
    return await finish(ctx, "study.cancelled", org_id=session.org_id, action="session.cancel")


async def attendance_rows(ctx: OpContext, session: StudySession) -> list[sheet.Row]:
    return await sheet.attendance_rows(ctx, session)


async def attendance_book(ctx: OpContext, session: StudySession) -> File | None:
    """The chat's attendance spreadsheet, as it sends it."""
    ctx.params = (str(session.id),)
    await sheet.export(ctx)
    return next((r for r in ctx.replies if isinstance(r, File)), None)


@dataclass(frozen=True)
class Code:
    state: str  # live | not_yet | ended | cancelled | online
    code: str = ""
    opens: datetime | None = None
    changes_in: int = 0  # seconds until the next code


def current_code(session: StudySession, now: datetime) -> Code:
    """The check-in code as the chat's organizer screen shows it (handlers/study/checkin.py)."""
    if session.cancelled:
        return Code("cancelled")
    if ended(session, now):
        return Code("ended")
    if session.online:
        return Code("online")
    if now < window_opens(session):
        return Code("not_yet", opens=window_opens(session))
    code = code_at(session.checkin_secret, now)
    left = STEP - int(now.timestamp()) % STEP
    return Code("live", f"{code[:3]} {code[3:]}", changes_in=left)
