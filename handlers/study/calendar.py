"""A member's calendar feed (.ics): the sessions they are expected at and their
deadlines, for the phone's calendar. The link's secret is made on first use."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from config.i18n import Catalog
from storage.models import Member
from storage.repos import Repos
from storage.study_models import Deadline, StudySession

PAST = timedelta(days=60)  # how far back the feed reaches
TOKEN_BYTES = 24  # 192 bits, 32 URL-safe characters
DEADLINE_SPAN = timedelta(minutes=30)


async def calendar_token(db: Repos, member: Member) -> str:
    if not member.calendar_token:
        member.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
        db.session.add(member)
        await db.session.flush()
    return member.calendar_token


def calendar_url(web_url: str, token: str) -> str:
    return f"{web_url.rstrip('/')}/calendar/{token}.ics"


async def member_by_token(db: Repos, token: str) -> Member | None:
    if not 20 <= len(token) <= 64 or not all(c.isalnum() or c in "-_" for c in token):
        return None
    query = select(Member).where(Member.calendar_token == token, col(Member.active))
    return (await db.session.exec(query)).first()


async def feed(db: Repos, member: Member, catalog: Catalog, lang: str, now: datetime) -> str:
    """The whole calendar, as text with CRLF line ends (RFC 5545)."""
    org = await db.orgs.get(member.org_id)

    def t(key: str, /, **params: object) -> str:
        return catalog.text(lang, key, **params)

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Massline//Study calendar//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        _prop("X-WR-CALNAME", t("study.ics_name", org=org.name if org else "")),
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    stamp = _utc(now)
    for session in await _sessions(db, member, now):
        lines += _session_event(session, t, stamp)
    for deadline in await db.study.open_deadlines(member.org_id, now - PAST):
        if db.study.includes(deadline.audience, member):
            lines += _deadline_event(deadline, t, stamp)
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


async def _sessions(db: Repos, member: Member, now: datetime) -> list[StudySession]:
    query = select(StudySession).where(
        StudySession.org_id == member.org_id, StudySession.ends_at >= now - PAST
    )
    found = (await db.session.exec(query.order_by(col(StudySession.starts_at)))).all()
    return [s for s in found if db.study.includes(s.audience, member)]


def _session_event(session: StudySession, t: Callable[..., str], stamp: str) -> list[str]:
    description = [t(f"study.kind_{session.kind}")]
    for reading in session.readings:
        description.append(f"{reading.get('title') or ''} {reading.get('url') or ''}".strip())
    lines = [
        "BEGIN:VEVENT",
        f"UID:study-session-{session.id}@massline",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_utc(session.starts_at)}",
        f"DTEND:{_utc(session.ends_at)}",
        _prop("SUMMARY", session.title),
        _prop("DESCRIPTION", "\n".join(description)),
    ]
    if session.place:
        lines.append(_prop("LOCATION", session.place))
        if session.online and session.place.startswith(("http://", "https://")):
            lines.append(_prop("URL", session.place.split()[0]))
    lines.append("STATUS:CANCELLED" if session.cancelled else "STATUS:CONFIRMED")
    lines.append("END:VEVENT")
    return lines


def _deadline_event(deadline: Deadline, t: Callable[..., str], stamp: str) -> list[str]:
    return [
        "BEGIN:VEVENT",
        f"UID:deadline-{deadline.id}@massline",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{_utc(deadline.due_at - DEADLINE_SPAN)}",
        f"DTEND:{_utc(deadline.due_at)}",
        _prop("SUMMARY", t("study.ics_deadline", title=deadline.title)),
        "STATUS:CONFIRMED",
        "END:VEVENT",
    ]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _prop(name: str, value: str) -> str:
    escaped = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )
    return f"{name}:{escaped}"


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next, which starts with a space;
    never inside a UTF-8 character."""
    out, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append(current)
            current, size = " ", 1
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)
