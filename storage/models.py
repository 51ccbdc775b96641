"""The foundation's tables: organizations, members, how they reach us, invites, dialogue.

Feature tables (opinions, study, ledger, surveys) live in their own modules beside this one.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class Role(StrEnum):
    member = "member"
    cadre = "cadre"
    leader = "leader"
    admin = "admin"
    supervisor = "supervisor"


class OrgKind(StrEnum):
    city = "city"
    county = "county"
    unit = "unit"
    branch = "branch"


class Stage(StrEnum):
    study = "study"
    examine = "examine"
    rectify = "rectify"


class Rank(StrEnum):
    """职级, for study minimums: county-level, section-level, staff, others."""

    county = "county"
    section = "section"
    staff = "staff"
    other = "other"


def _when() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(default=OrgKind.unit, max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    timezone: str | None = Field(default=None, max_length=64)
    is_demo: bool = False
    anonymous_min_members: int = 5  # below this, no anonymous box (SPEC §6)
    opinion_reply_days: int = 5  # an opinion unanswered this long is overdue
    anonymous_release_hour: int = 8  # the daily batch release of anonymous opinions
    remind_day_before_at: str = Field(default="18:00", max_length=5)  # "" for none
    remind_minutes_before: int = 60  # 0 for none
    bulletin_day: int = 5  # the monthly bulletin (月通报) is compiled on this day
    created_at: datetime = _when()


class StagePeriod(SQLModel, table=True):
    __tablename__ = "stage_period"
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    stage: str = Field(max_length=16)
    starts_on: date
    ends_on: date


class Department(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=100)
    # 分管领导; named so that migrations can drop it (department and member refer to each other)
    leader_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("member.id", name="fk_department_leader", use_alter=True)
        ),
    )


class Member(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("org_id", "phone"),
        UniqueConstraint("org_id", "employee_no"),
        UniqueConstraint("calendar_token", name="uq_member_calendar_token"),
    )
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=60)
    role: str = Field(default=Role.member, max_length=16)
    rank: str | None = Field(default=None, max_length=16)
    title: str | None = Field(default=None, max_length=60)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    is_main_leader: bool = False
    phone: str | None = Field(default=None, max_length=32)
    employee_no: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=8)
    active: bool = True
    last_channel: str | None = Field(default=None, max_length=16)
    # The channel pushes go to first (/channel); None: the one used last (last_channel).
    push_channel: str | None = Field(default=None, max_length=16)
    calendar_token: str | None = Field(default=None, max_length=40)  # the .ics link's secret
    created_at: datetime = _when()


class ChannelIdentity(SQLModel, table=True):
    """One chat account on one channel, bound to a member. A member may have several."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=128)
    member_id: int = Field(foreign_key="member.id", index=True)
    reachable: bool = True
    created_at: datetime = _when()
    last_seen_at: datetime = _when()


class Invite(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, unique=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    role: str = Field(max_length=16)
    rank: str | None = Field(default=None, max_length=16)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    max_uses: int | None = None
    used_count: int = 0
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked: bool = False
    created_by: str | None = Field(default=None, max_length=60)
    created_at: datetime = _when()


class DialogueState(SQLModel, table=True):
    """Where a chat account stands in a conversation; anonymous dialogues never come here."""

    __tablename__ = "dialogue_state"
    channel: str = Field(primary_key=True, max_length=16)
    user_key: str = Field(primary_key=True, max_length=128)
    feature: str | None = Field(default=None, max_length=32)
    step: str | None = Field(default=None, max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    language: str | None = Field(default=None, max_length=8)
    updated_at: datetime = _when()


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when()
    actor: str = Field(max_length=80)
    org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    action: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class OutboxStatus(StrEnum):
    queued = "queued"
    sent = "sent"
    failed = "failed"
    unreachable = "unreachable"


class OutboxMessage(SQLModel, table=True):
    """A message to one member, written with what caused it, marked sent once delivered."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    kind: str = Field(max_length=32)
    payload: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    dedupe_key: str | None = Field(default=None, max_length=120, unique=True)
    batch: str | None = Field(default=None, max_length=60, index=True)  # e.g. "broadcast:12"
    status: str = Field(default=OutboxStatus.queued, max_length=16)
    attempts: int = 0
    not_before: datetime = _when()
    channel: str | None = Field(default=None, max_length=16)
    error: str | None = Field(default=None, max_length=200)
    created_at: datetime = _when()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebChatMail(SQLModel, table=True):
    """Pushed messages waiting for a web chat page to fetch them."""

    __tablename__ = "webchat_mail"
    id: int | None = Field(default=None, primary_key=True)
    identity_id: int = Field(foreign_key="channel_identity.id", index=True)
    payload: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _when()
