"""Opinion figures for the chat's statistics, the console's dashboard and the monthly
bulletin: received, answered and overdue, per category, over a set of organizations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from storage.opinion_models import CATEGORIES, AnonThread, Opinion, Status
from storage.repos import Repos

OPEN = (Status.new, Status.assigned)


@dataclass
class Figures:
    received: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    overdue: Counter[str] = field(default_factory=Counter)

    def rows(self) -> list[tuple[str, int, int, int]]:
        return [
            (c, self.received[c], self.answered[c], self.overdue[c])
            for c in CATEGORIES
            if self.received[c]
        ]

    @property
    def totals(self) -> tuple[int, int, int]:
        return (
            sum(self.received.values()),
            sum(self.answered.values()),
            sum(self.overdue.values()),
        )


async def opinion_figures(db: Repos, org_ids: list[int], now: datetime, zone: ZoneInfo) -> Figures:
    """Anonymous threads count from their release, as the office sees them."""
    figures = Figures()
    days = {org_id: (await db.orgs.get(org_id)) for org_id in org_ids}
    today = now.astimezone(zone).date()
    named = select(Opinion).where(col(Opinion.org_id).in_(org_ids))
    for opinion in (await db.session.exec(named)).all():
        _count(figures, opinion, opinion.created_at.astimezone(zone).date(), today, days)
    anon = select(AnonThread).where(
        col(AnonThread.org_id).in_(org_ids), col(AnonThread.released_on).is_not(None)
    )
    for thread in (await db.session.exec(anon)).all():
        _count(figures, thread, thread.released_on or today, today, days)
    return figures


def _count(
    figures: Figures, row: Opinion | AnonThread, received: date, today: date, orgs: dict
) -> None:
    figures.received[row.category] += 1
    if row.status in (Status.replied, Status.closed):
        figures.answered[row.category] += 1
    org = orgs.get(row.org_id)
    limit = org.opinion_reply_days if org is not None else 5
    if row.status in OPEN and (today - received).days >= limit:
        figures.overdue[row.category] += 1
