"""The console's dashboard figures, from the same functions the chat's statistics and the
monthly bulletin use: the stage calendar, opinions by category, the ledger by status with
overdue and at-risk items, study attendance and hours against minimums by rank, and who
still owes each open deadline. Counts only: nobody is ranked (SPEC §1)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlmodel import col, func, select

from handlers.console_ops.context import OpContext
from handlers.ledger.bulletin_figures import Figures as LedgerFigures
from handlers.ledger.bulletin_figures import Study, gather, study_attendance
from handlers.ledger.excel import ledger_lines
from handlers.opinions.figures import Figures as OpinionFigures
from handlers.opinions.figures import opinion_figures
from storage.ledger_models import RectificationItem
from storage.models import Member, Organization, Rank, StagePeriod
from storage.study_models import Attendance, Deadline, SelfStudy, StudySession

RANK_MEMBER_LIMIT = 2000  # beyond this the hours table is left out: it would be slow
CAMPAIGN_DEFAULT = timedelta(days=240)
OWED_NAMES = 12


@dataclass(frozen=True)
class StageRow:
    org: Organization
    current: StagePeriod | None
    periods: list[StagePeriod]


@dataclass(frozen=True)
class DeadlineRow:
    deadline: Deadline
    org: Organization
    handed: int
    owed: list[Member]


@dataclass(frozen=True)
class RankRow:
    rank: str
    members: int
    met: int
    minimum: float


@dataclass(frozen=True)
class Dashboard:
    stages: list[StageRow]
    opinions: OpinionFigures
    ledger: LedgerFigures
    study: Study | None
    ranks: list[RankRow]
    deadlines: list[DeadlineRow]
    reviews: list[RectificationItem]  # awaiting this person's review (leaders)


async def dashboard(ctx: OpContext, orgs: list[Organization]) -> Dashboard:
    assert ctx.member is not None and ctx.member.id is not None
    org_ids = [o.id for o in orgs if o.id is not None]
    now, today = ctx.now(), ctx.today()
    stages = [
        StageRow(
            org,
            await ctx.db.orgs.current_stage(org.id, today),
            await ctx.db.orgs.stages(org.id),
        )
        for org in orgs
        if org.id is not None
    ]
    lines = [
        line
        for ledger in await ledger_lines(ctx.db, org_ids, ctx.lang, ctx.zone, today=today)
        for line in ledger.lines
    ]
    starts = [p.starts_on for row in stages for p in row.periods]
    first = min(starts) if starts else today - CAMPAIGN_DEFAULT
    since = datetime.combine(first, time(), tzinfo=UTC)
    return Dashboard(
        stages=stages,
        opinions=await opinion_figures(ctx.db, org_ids, now, ctx.zone),
        ledger=await gather(ctx.db, org_ids, lines, now, ctx.zone),
        study=await study_attendance(ctx.db, org_ids, since, now),
        ranks=await _ranks(ctx, orgs),
        deadlines=await _deadlines(ctx, orgs),
        reviews=await ctx.db.ledger.awaiting_review_by(ctx.member.id),
    )


async def _ranks(ctx: OpContext, orgs: list[Organization]) -> list[RankRow]:
    """How many of each rank have met their minimum study hours; counts, no names.

    The same sums as handlers/study/hours.py's ``hours_of`` (group study from check-ins
    at sessions not cancelled, plus self-study), in two queries for everyone at once."""
    members = [m for org in orgs for m in await ctx.db.members.in_org(org.id or 0)]
    if not members or len(members) > RANK_MEMBER_LIMIT:
        return []
    ids = [m.id for m in members]
    hours: dict[int, float] = defaultdict(float)
    attended = (
        select(Attendance.member_id, StudySession.starts_at, StudySession.ends_at)
        .join(StudySession, col(StudySession.id) == Attendance.session_id)
        .where(col(Attendance.member_id).in_(ids), col(Attendance.checked_in_at).is_not(None))
        .where(~col(StudySession.cancelled))
    )
    for member_id, starts, ends in (await ctx.db.session.exec(attended)).all():
        hours[member_id] += (ends - starts).total_seconds() / 3600
    own = (
        select(SelfStudy.member_id, func.sum(SelfStudy.hours))
        .where(col(SelfStudy.member_id).in_(ids))
        .group_by(SelfStudy.member_id)
    )
    for member_id, total in (await ctx.db.session.exec(own)).all():
        hours[member_id] += float(total or 0)
    counts: dict[str, list[int]] = {}
    minimum: dict[tuple[int, str], float] = {}
    for member in members:
        rank = member.rank or Rank.other
        key = (member.org_id, rank)
        if key not in minimum:
            minimum[key] = await ctx.db.study.minimum_hours(member.org_id, rank)
        total = counts.setdefault(rank, [0, 0])
        total[0] += 1
        total[1] += hours[member.id or 0] >= minimum[key]
    order = [str(r) for r in Rank]
    ranked = sorted(counts, key=lambda r: order.index(r) if r in order else len(order))
    most = {r: max(v for (_, k), v in minimum.items() if k == r) for r in ranked}
    return [RankRow(r, counts[r][0], counts[r][1], most[r]) for r in ranked]


async def _deadlines(ctx: OpContext, orgs: list[Organization]) -> list[DeadlineRow]:
    rows = []
    for org in orgs:
        for deadline in await ctx.db.study.open_deadlines(org.id or 0, ctx.now()):
            audience = await ctx.db.study.audience(deadline.org_id, deadline.audience)
            handed = await ctx.db.study.submitted_members(deadline.id or 0)
            owed = [m for m in audience if m.id not in handed]
            rows.append(DeadlineRow(deadline, org, len(audience) - len(owed), owed))
    return sorted(rows, key=lambda r: r.deadline.due_at)
