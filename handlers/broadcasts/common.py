"""What the broadcast modules share: the feature, reading a time, audiences, labels."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from handlers.context import Context
from handlers.feature import Feature
from handlers.timeparse import TimeParseError, format_when, parse_when
from storage.models import ChannelIdentity, Member, Role
from storage.repos import Repos
from storage.study_models import Broadcast

feature = Feature("bc")
TEXT_LIMIT = 2000  # characters; with its header it stays one Telegram message
REPEATS = ("daily", "weekly")
STEP_DAYS = {"daily": 1, "weekly": 7}
LONGEST_REPEAT = timedelta(days=366)
NOW_WORDS = frozenset({"现在", "立即", "马上", "立刻", "now"})
ALL = "all"


def parse_send_time(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """When to send, as typed in the chat or given to ``--at``: 现在/now, or a moment with
    its hour in the organization's zone. Raises TimeParseError with a ``time.*`` key.
    The one place that reads a send time."""
    if " ".join(text.split()).casefold() in NOW_WORDS:
        return now
    found = parse_when(text, now, zone)
    if found.date_only:
        raise TimeParseError("time.need_hour")
    return found.start


def parse_until(text: str, first: datetime, now: datetime, zone: ZoneInfo) -> date:
    """The last day a repeating broadcast goes out (a date; a time on it is ignored)."""
    day = parse_when(text, now, zone).start.astimezone(zone).date()
    if day < first.astimezone(zone).date():
        raise TimeParseError("broadcasts.until_before_first")
    if day > (first + LONGEST_REPEAT).astimezone(zone).date():
        raise TimeParseError("broadcasts.until_too_far", days=LONGEST_REPEAT.days)
    return day


def refusal(ctx: Context, problem: TimeParseError) -> str:
    return ctx.t(problem.reason_key, **problem.params_for(ctx.zone, ctx.lang, ctx.now()))


def roles_of(audience: dict[str, Any]) -> list[str]:
    return [r for r in audience.get("roles") or [] if r in set(Role)]


async def audience_counts(db: Repos, org_id: int, roles: list[str]) -> tuple[int, int]:
    """(members, of whom reachable on some channel) in an audience; no roles: everyone."""
    members = select(func.count()).select_from(Member).where(_whom(org_id, roles))
    reachable = (
        select(func.count(func.distinct(Member.id)))
        .join(ChannelIdentity, col(ChannelIdentity.member_id) == Member.id)
        .where(_whom(org_id, roles), col(ChannelIdentity.reachable))
    )
    session = db.session
    return (await session.exec(members)).one(), (await session.exec(reachable)).one()


async def counts_by_role(db: Repos, org_id: int) -> dict[str, int]:
    query = (
        select(Member.role, func.count())
        .where(Member.org_id == org_id, col(Member.active))
        .group_by(Member.role)
    )
    return {role: n for role, n in (await db.session.exec(query)).all()}


def _whom(org_id: int, roles: list[str]) -> Any:
    criteria = (Member.org_id == org_id) & col(Member.active)
    return criteria & col(Member.role).in_(roles) if roles else criteria


def audience_label(ctx: Context, roles: list[str]) -> str:
    if not roles:
        return ctx.t("broadcasts.everyone")
    return "、".join(ctx.t(f"role.{r}") for r in roles)


def when_label(ctx: Context, moment: datetime) -> str:
    return format_when(moment, ctx.zone, ctx.lang, now=ctx.now())


def repeat_label(ctx: Context, repeat: str | None, until: date | None) -> str:
    if repeat not in REPEATS or until is None:
        return ctx.t("broadcasts.repeat_once")
    day = format_when(until, ctx.zone, ctx.lang, date_only=True, now=ctx.now())
    return ctx.t(f"broadcasts.repeat_{repeat}_until", until=day)


def line(ctx: Context, row: Broadcast) -> str:
    """One broadcast in a list: number, time, audience, repeat, status, the text's start."""
    return ctx.t(
        "broadcasts.line",
        id=row.id,
        when=when_label(ctx, row.send_at),
        audience=audience_label(ctx, roles_of(row.audience)),
        repeat=repeat_label(ctx, row.repeat, row.repeat_until),
        status=ctx.t(f"broadcasts.status_{row.status}"),
        preview=preview(row.text),
    )


def preview(text: str, length: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length] + "…"


def number(value: int) -> str:
    return f"{value:,}"
