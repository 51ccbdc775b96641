"""The monthly bulletin's figures: items by status, finished this month, overdue and at
risk (due within 14 days and under half done), the opinion box's figures, and this month's
group study attendance when there was any. Counts are of top-level items (sub-items roll up
into them); the overdue and at-risk lists name sub-items too, each has a person of its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from handlers.ledger.common import OPEN, overdue
from handlers.ledger.excel import Line
from handlers.opinions.figures import opinion_figures
from storage.ledger_models import ItemStatus
from storage.repos import Repos

STATUSES = ("done", "awaiting_review", "in_progress", "not_started", "reopened", "overdue")
RISK_DAYS = 14
RISK_PERCENT = 50


@dataclass(frozen=True)
class Study:
    sessions: int
    expected: int
    present: int
    leave: int

    @property
    def rate(self) -> int:
        # Half up, as people round (62.5% is 63%, where round() would give 62).
        return (200 * self.present + self.expected) // (2 * self.expected) if self.expected else 0


@dataclass(frozen=True)
class Figures:
    by_status: Counter[str]
    done_month: int
    overdue: list[Line]
    at_risk: list[Line]
    opinions: tuple[int, int, int]  # received, answered, overdue
    study: Study | None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def state(line: Line, today: date) -> str:
    return "overdue" if overdue(line.item, today) else str(line.item.status)


async def gather(
    db: Repos, org_ids: list[int], lines: list[Line], now: datetime, zone: ZoneInfo
) -> Figures:
    today = now.astimezone(zone).date()
    month_start = today.replace(day=1)
    top = [line for line in lines if line.depth == 0]
    finished = [
        line.item for line in top
        if line.item.status == ItemStatus.done and line.item.finished_on
        and line.item.finished_on >= month_start
    ]  # fmt: skip
    late = [line for line in lines if overdue(line.item, today)]
    soon = today + timedelta(days=RISK_DAYS)
    risky = [
        line for line in lines
        if line.item.status in OPEN and today <= line.item.deadline <= soon
        and line.item.percent < RISK_PERCENT
    ]  # fmt: skip
    opinions = (await opinion_figures(db, org_ids, now, zone)).totals
    start = datetime(month_start.year, month_start.month, 1, tzinfo=zone)
    return Figures(
        Counter(state(line, today) for line in top),
        len(finished),
        sorted(late, key=lambda line: line.item.deadline),
        sorted(risky, key=lambda line: line.item.deadline),
        opinions,
        await study_attendance(db, org_ids, start, now),
    )


async def study_attendance(
    db: Repos, org_ids: list[int], start: datetime, now: datetime
) -> Study | None:
    """Group study sessions held since ``start``: who was expected, present, on leave."""
    sessions = expected = present = leave = 0
    for org_id in org_ids:
        for session in await db.study.sessions_between(org_id, start, now):
            if session.starts_at < start or session.ends_at > now:
                continue  # begun last month, or not over yet
            records = await db.study.attendance_for(session.id or 0)
            sessions += 1
            expected += len(await db.study.audience(org_id, session.audience))
            present += sum(1 for r in records if r.checked_in_at is not None)
            leave += sum(1 for r in records if r.checked_in_at is None and r.rsvp == "leave")
    return Study(sessions, expected, present, leave) if sessions else None
