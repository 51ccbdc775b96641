"""What the study modules share: the feature, a session's window, who is expected at it,
and how a session reads on a member's phone."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from handlers.context import Context
from handlers.feature import Feature
from handlers.messages import Button
from handlers.study.when import format_span
from storage.models import Member, Organization, Role
from storage.study_models import Attendance, StudySession

feature = Feature("study")
OPENS_BEFORE = timedelta(minutes=30)  # check-in opens this long before the start
LATE_AFTER = timedelta(minutes=10)  # and counts as late this long after it
Words = Callable[..., str]
MAX_ID = 2**31 - 1


def words(ctx: Context, lang: str) -> Words:
    """The catalog in one language, for text addressed to someone else."""

    def t(key: str, /, **params: object) -> str:
        return ctx.services.catalog.text(lang, key, **params)

    return t


def lang_of(ctx: Context, member: Member) -> str:
    return member.language or ctx.services.default_language


def zone_of(ctx: Context, org: Organization | None) -> ZoneInfo:
    if org is not None and org.timezone:
        return ZoneInfo(org.timezone)
    return ctx.services.zone


def parse_id(raw: str) -> int | None:
    """A row id from a button or a dialogue, or None: no "²", nothing past 32 bits."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


def clean_text(text: str) -> str:
    """Typed text as it may be stored: control and format characters and lone surrogates
    out (PostgreSQL refuses NUL and surrogates), spaces folded."""
    kept = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    return " ".join(kept.split())


def hours_text(hours: float) -> str:
    return f"{round(hours, 2):g}"


def duration_hours(session: StudySession) -> float:
    return (session.ends_at - session.starts_at).total_seconds() / 3600


# The check-in window


def window_opens(session: StudySession) -> datetime:
    return session.starts_at - OPENS_BEFORE


def in_window(session: StudySession, now: datetime) -> bool:
    return window_opens(session) <= now <= session.ends_at


def ended(session: StudySession, now: datetime) -> bool:
    return now > session.ends_at


# Who is expected, and who organizes


def expects(session: StudySession, member: Member) -> bool:
    return (
        member.active
        and member.org_id == session.org_id
        and (not session.audience.get("roles") or member.role in session.audience["roles"])
        and (not session.audience.get("ranks") or member.rank in session.audience["ranks"])
    )


async def organizers(ctx: Context, session: StudySession) -> list[Member]:
    """Who hears of a leave request: the session's creator, else the campaign office."""
    if session.created_by is not None:
        creator = await ctx.db.members.get(session.created_by)
        if creator is not None and creator.active and creator.org_id == session.org_id:
            return [creator]
    query = select(Member).where(
        Member.org_id == session.org_id, Member.role == Role.admin, col(Member.active)
    )
    return list((await ctx.db.session.exec(query.order_by(col(Member.id)))).all())


async def own_session(ctx: Context, raw: str | None = None) -> StudySession | None:
    """The session a button or step names, if it belongs to this person's organization;
    otherwise says so and returns None."""
    if raw is None:
        raw = ctx.params[0] if ctx.params else str(ctx.dialogue.data.get("session", ""))
    number = parse_id(raw)
    session = await ctx.db.study.study_session(number) if number is not None else None
    if session is None or ctx.org is None or session.org_id != ctx.org.id:
        ctx.say("study.not_found")
        return None
    return session


# How a session reads


def session_lines(t: Words, session: StudySession, zone: ZoneInfo, lang: str) -> list[str]:
    lines = [
        t("study.card_title", kind=t(f"study.kind_{session.kind}"), title=session.title),
        t("study.card_when", when=format_span(session.starts_at, session.ends_at, zone, lang)),
    ]
    if session.place:
        lines.append(t("study.card_online" if session.online else "study.card_place",
                       place=session.place))  # fmt: skip
    if session.readings:
        lines.append(t("study.card_readings"))
        for reading in session.readings:
            url = reading.get("url") or ""
            lines.append(t("study.reading_line", title=reading.get("title") or url, url=url))
    if session.cancelled:
        lines.append(t("study.card_cancelled"))
    return lines


def status_line(t: Words, answer: Attendance | None, zone: ZoneInfo) -> str:
    if answer is not None and answer.checked_in_at is not None:
        at = f"{answer.checked_in_at.astimezone(zone):%H:%M}"
        return t("study.status_late" if answer.late else "study.status_present", at=at)
    if answer is not None and answer.rsvp == "leave":
        return t("study.status_leave")
    if answer is not None and answer.rsvp == "yes":
        return t("study.status_yes")
    return t("study.status_none")


def member_buttons(
    t: Words, session: StudySession, answer: Attendance | None, now: datetime
) -> tuple[tuple[Button, ...], ...]:
    """我会参加 / 请假 as the member's answer allows, and 签到 where it can be done."""
    if session.cancelled or ended(session, now):
        return ()
    if answer is not None and answer.checked_in_at is not None:
        return ()
    row: list[Button] = []
    if session.online or in_window(session, now):
        row.append(Button(t("study.btn_checkin"), feature.payload("ci", session.id)))
    if answer is None or answer.rsvp != "yes":
        row.append(Button(t("study.btn_yes"), feature.payload("go", session.id)))
    if answer is None or answer.rsvp != "leave":
        row.append(Button(t("study.btn_leave"), feature.payload("lv", session.id)))
    return (tuple(row),)


def audience_label(t: Words, audience: dict[str, list[str]]) -> str:
    names = [t(f"role.{r}") for r in audience.get("roles", [])]
    names += [t(f"study.rank_{r}") for r in audience.get("ranks", [])]
    return t("study.sep").join(names) if names else t("study.audience_all")
