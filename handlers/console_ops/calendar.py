"""The study calendar for the web console: a month of weeks (Monday first) with the
sessions and deadlines of the organizations a person may see on their days, and the
campaign's stages that run in that month."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from storage.models import Organization, StagePeriod
from storage.repos import Repos
from storage.study_models import Deadline, StudySession

FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass
class Day:
    day: date
    in_month: bool
    today: bool
    sessions: list[StudySession] = field(default_factory=list)
    deadlines: list[Deadline] = field(default_factory=list)


@dataclass(frozen=True)
class Month:
    first: date
    weeks: list[list[Day]]
    stages: list[tuple[Organization, StagePeriod]]
    previous: str
    following: str

    @property
    def busy(self) -> list[Day]:
        """The days of this month with something on them (the phone's list)."""
        return [d for w in self.weeks for d in w if d.in_month and (d.sessions or d.deadlines)]


def month_of(raw: str, today: date) -> date:
    """``2026-12`` → its first day; anything else: this month."""
    year, _, month = raw.partition("-")
    readable = year.isascii() and year.isdigit() and len(year) == 4
    readable = readable and month.isascii() and month.isdigit() and len(month) <= 2
    if readable and FIRST_YEAR <= int(year) <= LAST_YEAR and 1 <= int(month) <= 12:
        return date(int(year), int(month), 1)
    return today.replace(day=1)


def _shift(first: date, months: int) -> str:
    index = first.year * 12 + first.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


async def month(
    db: Repos, orgs: list[Organization], first: date, zone: ZoneInfo, today: date
) -> Month:
    weeks_days = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    days = {d: Day(d, d.month == first.month, d == today) for w in weeks_days for d in w}
    start = datetime.combine(weeks_days[0][0], time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(weeks_days[-1][-1] + timedelta(days=1), time(), tzinfo=zone)
    end = end.astimezone(UTC)
    ids = [o.id for o in orgs if o.id is not None]
    sessions = select(StudySession).where(
        col(StudySession.org_id).in_(ids), StudySession.starts_at >= start,
        StudySession.starts_at < end,
    )  # fmt: skip
    for session in (await db.session.exec(sessions.order_by(col(StudySession.starts_at)))).all():
        days[session.starts_at.astimezone(zone).date()].sessions.append(session)
    deadlines = select(Deadline).where(
        col(Deadline.org_id).in_(ids), Deadline.due_at >= start, Deadline.due_at < end,
        ~col(Deadline.cancelled),
    )  # fmt: skip
    for deadline in (await db.session.exec(deadlines.order_by(col(Deadline.due_at)))).all():
        days[deadline.due_at.astimezone(zone).date()].deadlines.append(deadline)
    last = weeks_days[-1][-1]
    stages = [
        (org, period)
        for org in orgs
        for period in await db.orgs.stages(org.id or 0)
        if period.starts_on <= last and period.ends_on >= weeks_days[0][0]
    ]
    weeks = [[days[d] for d in week] for week in weeks_days]
    return Month(first, weeks, stages, _shift(first, -1), _shift(first, 1))
