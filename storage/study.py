"""Repositories for study sessions, attendance, self-study, deadlines, broadcasts and the
scheduler's record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Member, Rank
from storage.study_models import (
    Attendance,
    Broadcast,
    Deadline,
    SchedulerRun,
    SelfStudy,
    StudyMinimum,
    StudySession,
    Submission,
)

# Defaults until an organization sets its own (学时, hours this campaign), by rank.
DEFAULT_MINIMUM_HOURS = {Rank.county: 42.0, Rank.section: 30.0, Rank.staff: 18.0, Rank.other: 12.0}


class StudyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def audience(self, org_id: int, audience: dict[str, Any]) -> list[Member]:
        """Active members of the organization whom an audience spec names; empty: all."""
        query = select(Member).where(Member.org_id == org_id, col(Member.active))
        if roles := audience.get("roles"):
            query = query.where(col(Member.role).in_(roles))
        if ranks := audience.get("ranks"):
            query = query.where(col(Member.rank).in_(ranks))
        if ids := audience.get("members"):
            query = query.where(col(Member.id).in_(ids))
        return list((await self.session.exec(query.order_by(col(Member.id)))).all())

    @staticmethod
    def includes(audience: dict[str, Any], member: Member) -> bool:
        roles, ranks = audience.get("roles"), audience.get("ranks")
        ids = audience.get("members")
        return (
            (not roles or member.role in roles)
            and (not ranks or member.rank in ranks)
            and (not ids or member.id in ids)
        )

    # Sessions and attendance

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def study_session(self, session_id: int) -> StudySession | None:
        return await self.session.get(StudySession, session_id)

    async def study_sessions(self, session_ids: frozenset[int]) -> list[StudySession]:
        """Several at once; later ``study_session``s of them ask the database nothing."""
        if not session_ids:
            return []
        query = select(StudySession).where(col(StudySession.id).in_(session_ids))
        return list((await self.session.exec(query)).all())

    async def sessions_between(
        self, org_id: int, start: datetime, end: datetime, *, include_cancelled: bool = False
    ) -> list[StudySession]:
        query = select(StudySession).where(
            StudySession.org_id == org_id,
            StudySession.ends_at >= start,
            StudySession.starts_at <= end,
        )
        if not include_cancelled:
            query = query.where(~col(StudySession.cancelled))
        return list((await self.session.exec(query.order_by(col(StudySession.starts_at)))).all())

    async def sessions_starting(self, start: datetime, end: datetime) -> list[StudySession]:
        """Every organization's sessions starting in the window (for the scheduler)."""
        query = select(StudySession).where(
            StudySession.starts_at >= start,
            StudySession.starts_at <= end,
            ~col(StudySession.cancelled),
        )
        return list((await self.session.exec(query)).all())

    async def attendance(self, session_id: int, member_id: int) -> Attendance | None:
        query = select(Attendance).where(
            Attendance.session_id == session_id, Attendance.member_id == member_id
        )
        return (await self.session.exec(query)).first()

    async def attendance_for(self, session_id: int) -> list[Attendance]:
        query = select(Attendance).where(Attendance.session_id == session_id)
        return list((await self.session.exec(query)).all())

    async def answer(self, session_id: int, member_id: int) -> Attendance:
        found = await self.attendance(session_id, member_id)
        if found is None:
            found = await self.add(Attendance(session_id=session_id, member_id=member_id))
        return found

    async def attended(self, member_id: int) -> list[tuple[Attendance, StudySession]]:
        query = (
            select(Attendance, StudySession)
            .join(StudySession, col(StudySession.id) == Attendance.session_id)
            .where(Attendance.member_id == member_id, col(Attendance.checked_in_at).is_not(None))
        )
        return [(a, s) for a, s in (await self.session.exec(query)).all()]

    # Self-study and minimums

    async def self_study_hours(self, member_id: int) -> float:
        query = select(func.coalesce(func.sum(SelfStudy.hours), 0.0)).where(
            SelfStudy.member_id == member_id
        )
        return float((await self.session.exec(query)).one())

    async def minimum_hours(self, org_id: int, rank: str | None) -> float:
        rank = rank or Rank.other
        row = await self.session.get(StudyMinimum, (org_id, rank))
        return row.hours if row is not None else DEFAULT_MINIMUM_HOURS.get(rank, 12.0)

    # Deadlines

    async def deadline(self, deadline_id: int) -> Deadline | None:
        return await self.session.get(Deadline, deadline_id)

    async def open_deadlines(self, org_id: int, after: datetime) -> list[Deadline]:
        query = select(Deadline).where(
            Deadline.org_id == org_id, Deadline.due_at >= after, ~col(Deadline.cancelled)
        )
        return list((await self.session.exec(query.order_by(col(Deadline.due_at)))).all())

    async def deadlines_due_between(self, start: datetime, end: datetime) -> list[Deadline]:
        query = select(Deadline).where(
            Deadline.due_at >= start, Deadline.due_at <= end, ~col(Deadline.cancelled)
        )
        return list((await self.session.exec(query)).all())

    async def submission(self, deadline_id: int, member_id: int) -> Submission | None:
        query = select(Submission).where(
            Submission.deadline_id == deadline_id, Submission.member_id == member_id
        )
        return (await self.session.exec(query.order_by(col(Submission.id).desc()))).first()

    async def submitted_members(self, deadline_id: int) -> set[int]:
        """Members whose latest submission stands: a returned one is owed again."""
        query = (
            select(Submission.member_id, Submission.status)
            .where(Submission.deadline_id == deadline_id)
            .order_by(col(Submission.id))
        )
        latest = dict((await self.session.exec(query)).all())
        return {member for member, status in latest.items() if status != "returned"}

    # Broadcasts

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    async def broadcasts_due(self, start: datetime, end: datetime) -> list[Broadcast]:
        query = select(Broadcast).where(
            Broadcast.send_at >= start,
            Broadcast.send_at <= end,
            col(Broadcast.status).in_(("scheduled", "sending")),
        )
        return list((await self.session.exec(query)).all())

    # The scheduler's record

    async def mark_run(self, run: SchedulerRun) -> bool:
        """Record a due moment as handled; False if another process already did it."""
        if await self.session.get(SchedulerRun, run.key) is not None:
            return False
        try:
            async with self.session.begin_nested():
                self.session.add(run)
                await self.session.flush()
        except IntegrityError:
            return False
        return True
