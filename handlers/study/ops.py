"""Session operations shared by the chat and the command line: each validates, writes,
records the audit entry, and tells the people concerned through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.admin_ops import OpError
from handlers.context import Context
from handlers.messages import Text
from handlers.study.checkin import new_secret
from handlers.study.common import clean_text, lang_of, member_buttons, session_lines, words, zone_of
from handlers.study.reminders import settle
from handlers.study.when import LONGEST
from storage.models import Member, Organization
from storage.study_models import SessionKind, StudySession

TITLE_LIMIT = 200
PLACE_LIMIT = 300


def clean_title(text: str) -> str:
    title = clean_text(text)
    if not title or len(title) > TITLE_LIMIT:
        raise OpError("study.title_invalid", limit=TITLE_LIMIT)
    return title


def clean_place(text: str) -> tuple[str, bool]:
    """The place as typed, and whether it is a link (an online session)."""
    place = clean_text(text)
    if not place or len(place) > PLACE_LIMIT:
        raise OpError("study.place_invalid", limit=PLACE_LIMIT)
    online = "://" in place or place.casefold().startswith(("线上", "online", "网上"))
    return place, online


def kind_of(title: str) -> str:
    """研讨 in the title makes a seminar (专题研讨); anything else is group study."""
    seminar = "研讨" in title or "seminar" in title.casefold()
    return SessionKind.seminar if seminar else SessionKind.group


def check_span(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise OpError("study.when_past")
    if ends_at <= starts_at:
        raise OpError("study.when_order")
    if ends_at - starts_at > LONGEST:
        raise OpError("study.when_too_long", hours=int(LONGEST.total_seconds() // 3600))


async def create_session(
    ctx: Context,
    org: Organization,
    *,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str | None,
    online: bool = False,
    audience: dict[str, Any] | None = None,
    created_by: Member | None = None,
    actor: str,
) -> tuple[StudySession, int]:
    """The new session, and how many members were reminded at once (a session starting
    sooner than the organization's reminder gets it now)."""
    assert org.id is not None
    title = clean_title(title)
    check_span(starts_at, ends_at, ctx.now())
    audience = {k: list(v) for k, v in (audience or {}).items() if v}
    if audience and not await ctx.db.study.audience(org.id, audience):
        raise OpError("study.audience_empty")  # everyone is fine before anyone has joined
    session = StudySession(
        org_id=org.id, kind=kind_of(title), title=title, place=place, online=online,
        starts_at=starts_at, ends_at=ends_at, audience=audience,
        checkin_secret=new_secret(), created_by=created_by.id if created_by else None,
        created_at=ctx.now(),
    )  # fmt: skip
    await ctx.db.study.add(session)
    await ctx.db.audit.record(actor, "session.create", org_id=org.id, session=session.id)
    reminded = await settle(ctx, session, announce=True)
    return session, reminded


async def expected(ctx: Context, session: StudySession) -> list[Member]:
    return await ctx.db.study.audience(session.org_id, session.audience)


async def tell_expected(
    ctx: Context, session: StudySession, key: str, *, kind: str, buttons: bool
) -> int:
    """A notice about a session (moved, cancelled) to everyone expected at it but the
    person who made the change; returns how many."""
    org = await ctx.db.orgs.get(session.org_id)
    zone = zone_of(ctx, org)
    answers = {a.member_id: a for a in await ctx.db.study.attendance_for(session.id or 0)}
    told = 0
    for member in await expected(ctx, session):
        if ctx.member is not None and member.id == ctx.member.id:
            continue
        lang = lang_of(ctx, member)
        t = words(ctx, lang)
        lines = [t(key), *session_lines(t, session, zone, lang)]
        keys = member_buttons(t, session, answers.get(member.id or 0), ctx.now()) if buttons else ()
        await ctx.push(member, [Text("\n".join(lines), keys)], kind=kind)
        told += 1
    return told
