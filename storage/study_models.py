"""Study, deadlines, broadcasts and the scheduler's record of what it has done."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _json(default: Any = None) -> Any:
    factory = (lambda: dict(default or {})) if isinstance(default, dict) else list
    return Field(default_factory=factory, sa_column=Column(JSON, nullable=False))


class SessionKind(StrEnum):
    group = "group"  # 集中学习
    seminar = "seminar"  # 专题研讨


class StudySession(SQLModel, table=True):
    __tablename__ = "study_session"
    __table_args__ = (
        Index("ix_study_session_org_start", "org_id", "starts_at"),
        Index("ix_study_session_starts", "starts_at"),  # the scheduler, across organizations
    )
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    kind: str = Field(default=SessionKind.group, max_length=16)
    title: str = Field(max_length=200)
    place: str | None = Field(default=None, max_length=300)  # a room, or a link if online
    online: bool = False  # check in with a button instead of the room's code
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    audience: dict[str, Any] = _json({})  # {"roles": [...], "ranks": [...]}; empty: everyone
    readings: list[dict[str, Any]] = _json()  # [{"title": …, "url": …}]
    checkin_secret: str = Field(max_length=64)
    cancelled: bool = False
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Attendance(SQLModel, table=True):
    """One member's answer to one session: will attend, on leave (with a reason), present."""

    __table_args__ = (UniqueConstraint("session_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="study_session.id", index=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    rsvp: str | None = Field(default=None, max_length=8)  # "yes" | "leave"
    leave_reason: str | None = Field(default=None, max_length=500)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    late: bool = False


class SelfStudy(SQLModel, table=True):
    __tablename__ = "self_study"
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    hours: float
    topic: str = Field(max_length=200)
    studied_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StudyMinimum(SQLModel, table=True):
    """An organization's minimum study hours for a rank this campaign (学时)."""

    __tablename__ = "study_minimum"
    org_id: int = Field(foreign_key="organization.id", primary_key=True)
    rank: str = Field(primary_key=True, max_length=16)
    hours: float


class DeadlineKind(StrEnum):
    self_exam = "self_exam"  # 对照检查材料
    reflection = "reflection"  # 心得体会, only when the organization sets a deadline
    other = "other"


class Deadline(SQLModel, table=True):
    __table_args__ = (Index("ix_deadline_due", "due_at"),)  # the scheduler's reminders
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    kind: str = Field(default=DeadlineKind.other, max_length=16)
    title: str = Field(max_length=200)
    due_at: datetime = Field(sa_type=UTCDateTime)
    audience: dict[str, Any] = _json({})
    cancelled: bool = False
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Submission(SQLModel, table=True):
    """What a member handed in for a deadline, or a reflection with no deadline at all."""

    __table_args__ = (
        Index("ix_submission_deadline_member", "deadline_id", "member_id"),
        Index("ix_submission_submitted", "submitted_at"),  # the scheduler: what came in lately
    )
    id: int | None = Field(default=None, primary_key=True)
    deadline_id: int | None = Field(default=None, foreign_key="deadline.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=16)
    text: str = ""
    files: list[dict[str, Any]] = _json()
    status: str = Field(default="submitted", max_length=16)  # the examine stage reviews
    review_note: str | None = Field(default=None, max_length=1000)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BroadcastStatus(StrEnum):
    scheduled = "scheduled"
    sending = "sending"
    done = "done"
    cancelled = "cancelled"


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    text: str
    audience: dict[str, Any] = _json({})
    send_at: datetime = Field(sa_type=UTCDateTime)
    repeat: str | None = Field(default=None, max_length=16)  # None | daily | weekly
    repeat_until: date | None = None
    status: str = Field(default=BroadcastStatus.scheduled, max_length=16)
    sender_id: int | None = Field(default=None, foreign_key="member.id")
    file_id: int | None = Field(default=None, foreign_key="stored_file.id")  # picture or file
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SchedulerRun(SQLModel, table=True):
    """Each due moment the scheduler handled, once: its key is unique, so a second process
    or a restart cannot fan the same reminder out twice."""

    __tablename__ = "scheduler_run"
    key: str = Field(primary_key=True, max_length=120)
    due_at: datetime = Field(sa_type=UTCDateTime)
    ran_at: datetime = Field(sa_type=UTCDateTime)
    outcome: str = Field(max_length=16)  # sent | late | skipped
    recipients: int = 0
