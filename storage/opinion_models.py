"""The opinion box's tables.

Named opinions and anonymous threads are kept in separate tables on purpose: the
anonymous ones (``anon_thread``, ``anon_post``) have no column that can hold the author's
member id, chat id, message or update id, or any hash of one, and their dates are days,
not moments (SPEC §6). Their ids are random, so row order says nothing about when or in
what sequence they were written. The only person they name is the staff member a thread
is assigned to, who answers it.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import RandomId, UTCDateTime, random_id, utcnow

CATEGORIES = ("formalism", "bureaucratism", "hedonism", "extravagance", "suggestion", "other")


class Target(StrEnum):
    team = "team"  # the leadership team
    leader = "leader"  # one named leader (routed to the main leader, who relays it)
    department = "department"
    general = "general"  # the unit's work in general


class Status(StrEnum):
    new = "new"
    assigned = "assigned"
    replied = "replied"
    closed = "closed"


class Side(StrEnum):
    author = "author"
    office = "office"


class Opinion(SQLModel, table=True):
    __table_args__ = (Index("ix_opinion_inbox", "org_id", "status"),)
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    author_id: int = Field(foreign_key="member.id", index=True)
    target: str = Field(max_length=16)
    target_id: int | None = None
    category: str = Field(max_length=16)
    status: str = Field(default=Status.new, max_length=16)
    assignee_id: int | None = Field(default=None, foreign_key="member.id")
    problem_id: int | None = Field(default=None, foreign_key="problem.id")
    closed_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded: int = 0  # overdue reminders sent: 1 to the assignee, 2 to the admins too


class OpinionMessage(SQLModel, table=True):
    __tablename__ = "opinion_message"
    id: int | None = Field(default=None, primary_key=True)
    opinion_id: int = Field(foreign_key="opinion.id", index=True)
    side: str = Field(max_length=8)
    text: str
    office: str | None = Field(default=None, max_length=60)
    sender_id: int = Field(foreign_key="member.id")
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AnonThread(SQLModel, table=True):
    __tablename__ = "anon_thread"
    __table_args__ = (
        UniqueConstraint("org_id", "pseudonym"),
        Index("ix_anon_thread_inbox", "org_id", "status"),
    )
    id: int = Field(
        default_factory=random_id,
        sa_type=RandomId,
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
    )
    org_id: int = Field(foreign_key="organization.id")
    receipt_hash: str = Field(max_length=128, unique=True)
    pseudonym: str = Field(max_length=16)
    target: str = Field(max_length=16)
    target_id: int | None = None
    category: str = Field(max_length=16)
    status: str = Field(default=Status.new, max_length=16)
    assignee_id: int | None = Field(default=None, foreign_key="member.id")
    problem_id: int | None = Field(default=None, foreign_key="problem.id")
    closed_reason: str | None = Field(default=None, max_length=500)
    received_on: date
    released_on: date | None = None
    answered_on: date | None = None
    reminded: int = 0


class AnonPost(SQLModel, table=True):
    """One message in an anonymous thread: the author's (released in the daily batch) or
    the office's reply (visible to the receipt holder at once)."""

    __tablename__ = "anon_post"
    id: int = Field(
        default_factory=random_id,
        sa_type=RandomId,
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
    )
    thread_id: int = Field(sa_type=RandomId, foreign_key="anon_thread.id", index=True)
    position: int
    side: str = Field(max_length=8)
    text: str
    office: str | None = Field(default=None, max_length=60)
    received_on: date
    released: bool = False


class Problem(SQLModel, table=True):
    """An entry on the problem list (问题清单), consolidating opinions."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200)
    category: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProblemItemLink(SQLModel, table=True):
    """Problem → the rectification items that answer it."""

    __tablename__ = "problem_item"
    problem_id: int = Field(foreign_key="problem.id", primary_key=True)
    item_id: int = Field(foreign_key="rectification_item.id", primary_key=True)


class AppSecret(SQLModel, table=True):
    """Per-installation random values (the receipt hash salt)."""

    __tablename__ = "app_secret"
    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
