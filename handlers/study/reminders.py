"""Session reminders: the day before at the organization's hour and some minutes before
the start, to each expected member who still owes an answer — never to one on leave or
already checked in.

Each moment's key carries the session's start, so moving a session makes new moments and
the old ones simply never come due; a cancelled session is no source of anything.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from config.settings import SettingsError, load_settings
from handlers.context import Context
from handlers.messages import Reply, Text
from handlers.schedule import Due
from handlers.study.common import lang_of, member_buttons, session_lines, words, zone_of
from storage.models import Member, Organization
from storage.repos import Repos
from storage.study_models import SchedulerRun, StudySession

LOOK_AHEAD = timedelta(days=8)  # reminders come at most this long before the start
KIND = "study_reminder"


def moments(session: StudySession, org: Organization, zone: ZoneInfo) -> list[tuple[str, datetime]]:
    """(key, when) of each reminder this session gets, in order."""
    stamp = int(session.starts_at.timestamp())
    found: list[tuple[str, datetime]] = []
    soon: datetime | None = None
    if org.remind_minutes_before > 0:
        soon = session.starts_at - timedelta(minutes=org.remind_minutes_before)
    eve = _day_before(session, org, zone)
    if eve is not None and eve < (soon or session.starts_at):
        found.append((f"session:{session.id}:{stamp}:eve", eve))
    if soon is not None:
        found.append((f"session:{session.id}:{stamp}:soon", soon))
    return found


def _day_before(session: StudySession, org: Organization, zone: ZoneInfo) -> datetime | None:
    hour, _, minute = (org.remind_day_before_at or "").partition(":")
    clock = hour + minute
    if not (clock.isascii() and clock.isdigit()) or int(hour) > 23 or int(minute) > 59:
        return None
    day = session.starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day, time(int(hour), int(minute)), tzinfo=zone).astimezone(UTC)


def _org_zone(org: Organization, fallback: ZoneInfo) -> ZoneInfo:
    return ZoneInfo(org.timezone) if org.timezone else fallback


@functools.cache
def _service_zone() -> ZoneInfo:
    """The service's zone (MASSLINE_TIMEZONE), for organizations without their own. A
    source is given no Services, so it reads the settings once."""
    try:
        return load_settings().zone
    except SettingsError:
        return ZoneInfo("Asia/Shanghai")


async def session_reminders(db: Repos, start: datetime, end: datetime) -> list[Due]:
    """The scheduler's source: every reminder moment falling in [start, end]."""
    found: list[Due] = []
    fallback = _service_zone()
    sessions = await db.study.sessions_starting(start, end + LOOK_AHEAD)
    orgs = await db.orgs.many({session.org_id for session in sessions})
    warm = functools.partial(_warm, ids=frozenset(s.id for s in sessions if s.id is not None))
    for session in sessions:
        org = orgs.get(session.org_id)
        if org is None or session.id is None:
            continue
        for key, at in moments(session, org, _org_zone(org, fallback)):
            if start <= at <= end:
                fan_out = functools.partial(_fan_out, key=key, session_id=session.id)
                found.append(Due(key, at, fan_out, warm))
    return found


async def _warm(db: Repos, *, ids: frozenset[int]) -> list[Any]:
    """The sessions and their organizations, read afresh in the fan-outs' transaction in
    two queries: each fan-out then finds its own without asking the database."""
    sessions = await db.study.study_sessions(ids)
    orgs = await db.orgs.many({s.org_id for s in sessions})
    return [*sessions, *orgs.values()]


async def _fan_out(ctx: Context, late: bool, *, key: str, session_id: int) -> int:
    session = await ctx.db.study.study_session(session_id)
    if session is None or session.cancelled or not key.startswith(_prefix(session)):
        return 0  # cancelled or moved since the moment was listed
    return await remind(ctx, session, key, late=late)


def _prefix(session: StudySession) -> str:
    return f"session:{session.id}:{int(session.starts_at.timestamp())}:"


async def remind(ctx: Context, session: StudySession, key: str, *, late: bool) -> int:
    """Queue one reminder per expected member who still owes an answer."""
    org = await ctx.db.orgs.get(session.org_id)
    if org is None or session.id is None:
        return 0
    ctx.org = org
    zone = zone_of(ctx, org)
    answers = {a.member_id: a for a in await ctx.db.study.attendance_for(session.id)}
    now = ctx.now()
    pushes: list[tuple[Member, list[Reply]]] = []
    written: dict[tuple[str, str | None], list[Reply]] = {}  # the same words for thousands
    for member in await ctx.db.study.audience(org.id or 0, session.audience):
        answer = answers.get(member.id or 0)
        if answer is not None and (answer.rsvp == "leave" or answer.checked_in_at is not None):
            continue
        lang = lang_of(ctx, member)
        shape = (lang, answer.rsvp if answer is not None else None)
        if shape not in written:
            t = words(ctx, lang)
            head = t("study.remind_eve" if key.endswith(":eve") else "study.remind_soon")
            lines = [head, *session_lines(t, session, zone, lang)]
            if late:
                lines.append(t("study.remind_late"))
            buttons = member_buttons(t, session, answer, now)
            written[shape] = [Text("\n".join(lines), buttons)]
        pushes.append((member, written[shape]))
    return await ctx.push_many(pushes, kind=KIND, dedupe=key)


async def settle(ctx: Context, session: StudySession, *, announce: bool) -> int:
    """After a session is created or moved: moments already past are recorded as done,
    so the scheduler does not send them late. On creation, a session starting sooner
    than the organization's reminder gets that reminder now (``announce``)."""
    org = await ctx.db.orgs.get(session.org_id)
    if org is None:
        return 0
    now = ctx.now()
    sent = 0
    for key, at in moments(session, org, zone_of(ctx, org)):
        if at > now:
            continue
        speak = announce and key.endswith(":soon") and session.starts_at > now
        run = SchedulerRun(key=key, due_at=at, ran_at=now, outcome="sent" if speak else "skipped")
        if not await ctx.db.study.mark_run(run):
            continue
        if speak:
            run.recipients = await remind(ctx, session, key, late=False)
            ctx.db.session.add(run)
            sent += run.recipients
    return sent
