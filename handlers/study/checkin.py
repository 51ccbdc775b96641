"""Check-in (签到): a six-digit code that changes every minute (HMAC of the time step, as
TOTP does), shown by the organizer in the room, so a code passed to a chat group goes
stale; or one tap for an online session. One check-in per member per session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from datetime import datetime, timedelta

from handlers.context import Context
from handlers.feature import ADMINS, MEMBERS
from handlers.messages import Button
from handlers.state import AttemptLimiter
from handlers.study.common import (
    LATE_AFTER,
    OPENS_BEFORE,
    ended,
    expects,
    feature,
    in_window,
    own_session,
    window_opens,
)
from handlers.study.when import format_when
from storage.study_models import StudySession

STEP = 60  # seconds a code lives
STALE_STEPS = 30  # an older code than the last two is "expired", not "wrong", this far back
DIGITS = 6
LOOK_BACK, LOOK_AHEAD = timedelta(hours=1), timedelta(hours=3)  # to explain a closed window


def new_secret() -> str:
    return secrets.token_hex(32)


def code_at(secret: str, moment: datetime, steps_back: int = 0) -> str:
    counter = int(moment.timestamp()) // STEP - steps_back
    digest = hmac.new(secret.encode(), counter.to_bytes(8, "big"), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def matches(secret: str, code: str, now: datetime) -> str | None:
    """ "ok" for the current or previous step's code, "old" for an older one, else None."""
    for back in range(STALE_STEPS + 1):
        if hmac.compare_digest(code_at(secret, now, back), code):
            return "ok" if back <= 1 else "old"
    return None


def _guesses(ctx: Context) -> AttemptLimiter:
    """Wrong codes per chat account, in memory."""
    return ctx.services.checkin_guesses


@feature.command("checkin", access=MEMBERS, keywords=("签到",), menu=False,
                 stages=frozenset({"study"}))  # fmt: skip
async def checkin(ctx: Context) -> None:
    if not ctx.args:
        ctx.begin(feature.name, "code")
        ctx.say("study.ask_code")
        return
    await _by_code(ctx, ctx.args)


@feature.step("code", access=MEMBERS)
async def code_step(ctx: Context) -> None:
    ctx.end()
    await _by_code(ctx, ctx.args)


async def _by_code(ctx: Context, text: str) -> None:
    assert ctx.member is not None and ctx.org is not None
    code = "".join(unicodedata.normalize("NFKC", text).split())
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        ctx.say("study.code_format")
        return
    key = (ctx.msg.channel, ctx.msg.user_key)
    if _guesses(ctx).blocked(key):
        ctx.say("study.code_too_many")
        return
    now = ctx.now()
    nearby = await ctx.db.study.sessions_between(ctx.org.id or 0, now, now + OPENS_BEFORE)
    running = [s for s in nearby if in_window(s, now)]
    mine = [s for s in running if expects(s, ctx.member)]
    if not running:
        await _nothing_running(ctx, now)
        return
    verdicts = [(s, matches(s.checkin_secret, code, now)) for s in running]
    for session, verdict in verdicts:
        if verdict == "ok" and session in mine:
            await record(ctx, session)
            return
    _guesses(ctx).hit(key)
    other = next((s for s, v in verdicts if v == "ok"), None)
    if other is not None:
        ctx.say("study.code_other", title=other.title)
    elif any(v == "old" for s, v in verdicts if s in mine):
        ctx.say("study.code_expired")
    elif not mine:
        ctx.say("study.none_for_you")
    else:
        ctx.say("study.code_wrong")


async def _nothing_running(ctx: Context, now: datetime) -> None:
    assert ctx.org is not None and ctx.member is not None
    recent = await ctx.db.study.sessions_between(ctx.org.id or 0, now - LOOK_BACK, now + LOOK_AHEAD)
    mine = [s for s in recent if expects(s, ctx.member)]
    upcoming = [s for s in mine if window_opens(s) > now]
    finished = [s for s in mine if ended(s, now)]
    if upcoming:
        first = upcoming[0]
        opens = format_when(window_opens(first), ctx.zone, ctx.lang)
        ctx.say("study.not_open_yet", title=first.title, opens=opens)
    elif finished:
        ctx.say("study.closed", title=finished[-1].title)
    else:
        ctx.say("study.nothing_running")


async def record(ctx: Context, session: StudySession) -> None:
    """Check this member in, once; late after the start plus ten minutes."""
    assert ctx.member is not None and session.id is not None
    answer = await ctx.db.study.answer(session.id, ctx.member.id or 0)
    local = ctx.zone
    if answer.checked_in_at is not None:
        at = f"{answer.checked_in_at.astimezone(local):%H:%M}"
        ctx.say("study.already_in_at", title=session.title, at=at)
        return
    now = ctx.now()
    answer.checked_in_at = now
    answer.late = now > session.starts_at + LATE_AFTER
    ctx.db.session.add(answer)
    key = "study.checked_in_late" if answer.late else "study.checked_in"
    ctx.say(key, title=session.title, at=f"{now.astimezone(local):%H:%M}")


@feature.button("ci", access=MEMBERS)
async def checkin_button(ctx: Context) -> None:
    """签到 under a reminder or /study: direct for an online session, else asks the code."""
    session = await own_session(ctx)
    if session is None or ctx.member is None:
        return
    now = ctx.now()
    if session.cancelled:
        ctx.say("study.is_cancelled", title=session.title)
    elif not expects(session, ctx.member):
        ctx.say("study.not_expected", title=session.title)
    elif now < window_opens(session):
        opens = format_when(window_opens(session), ctx.zone, ctx.lang)
        ctx.say("study.not_open_yet", title=session.title, opens=opens)
    elif ended(session, now):
        ctx.say("study.closed", title=session.title)
    elif session.online:
        await record(ctx, session)
    else:
        ctx.begin(feature.name, "code")
        ctx.say("study.ask_code")


@feature.button("code", access=ADMINS)
async def show_code(ctx: Context) -> None:
    """The organizer's screen in the room: the code now, and a button for the next one."""
    session = await own_session(ctx)
    if session is None:
        return
    now = ctx.now()
    if session.cancelled:
        ctx.say("study.is_cancelled", title=session.title)
        return
    if ended(session, now):
        ctx.say("study.closed", title=session.title)
        return
    if now < window_opens(session):
        opens = format_when(window_opens(session), ctx.zone, ctx.lang)
        ctx.say("study.code_not_yet", title=session.title, opens=opens)
        return
    code = code_at(session.checkin_secret, now)
    refresh = Button(ctx.t("study.btn_code"), feature.payload("code", session.id))
    ctx.say("study.code_now", title=session.title, code=f"{code[:3]} {code[3:]}",
            buttons=((refresh,),))  # fmt: skip
