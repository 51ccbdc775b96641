"""The rectification ledger (整改台帐): items with their four specifics and a pledge
(四明确一承诺), progress reports kept forever, review, and the masses' rating.

Ratings keep who rated apart from what they rated (SPEC §6): ``rating_participation``
says that a member rated an item, with no choice and no time; ``rating_tally`` counts
choices with no member; comments have random ids and a day, nothing more. Ratings are
written in batches of several members at once (handlers/ledger/ratings.py), so not even
the order of writes ties one member to one choice.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from storage.types import RandomId, UTCDateTime, random_id, utcnow


class ItemStatus(StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    awaiting_review = "awaiting_review"
    done = "done"
    reopened = "reopened"  # after a look-back review (回头看)


class Visibility(StrEnum):
    internal = "internal"
    public = "public"


class Rating(StrEnum):
    satisfied = "satisfied"  # 满意
    basic = "basic"  # 基本满意
    dissatisfied = "dissatisfied"  # 不满意


class RectificationItem(SQLModel, table=True):
    __tablename__ = "rectification_item"
    __table_args__ = (
        Index("ix_item_org_status", "org_id", "status"),
        Index("ix_item_org_seq", "org_id", "seq"),  # the ledger's listings, in order
        Index("ix_item_deadline", "deadline"),  # the scheduler's reminders
        # Sub-items only: most items have no parent, and a full index on the column made
        # SQLite read "parent_id IS NULL" through it (migration 0010).
        Index("ix_rectification_item_parent_id", "parent_id",
              sqlite_where=text("parent_id IS NOT NULL"),
              postgresql_where=text("parent_id IS NOT NULL")),
    )  # fmt: skip
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    parent_id: int | None = Field(default=None, foreign_key="rectification_item.id")
    seq: int = 0  # 序号 within its organization (or its parent)
    content: str = Field(max_length=1000)  # 整改事项
    goal: str = Field(max_length=1000)  # 整改目标
    measures: str = Field(max_length=2000)  # 整改措施
    deadline: date  # 完成时限
    leader_id: int = Field(foreign_key="member.id", index=True)  # 责任领导
    person_id: int = Field(foreign_key="member.id", index=True)  # 责任人
    pledge: str = Field(default="", max_length=1000)  # 公开承诺
    status: str = Field(default=ItemStatus.not_started, max_length=16)
    percent: int = 0
    weight: float = 1.0  # a sub-item's share when progress rolls up to its parent
    visibility: str = Field(default=Visibility.internal, max_length=16)
    finished_on: date | None = None
    rating_closes_on: date | None = None  # tallies are sealed until then
    flagged: bool = False  # dissatisfaction passed the threshold: look back (回头看)
    reminded: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Milestone(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="rectification_item.id", index=True)
    title: str = Field(max_length=200)
    due: date
    done_on: date | None = None


class ReportKind(StrEnum):
    progress = "progress"
    review_request = "review_request"
    approved = "approved"
    returned = "returned"
    reopened = "reopened"


class ProgressReport(SQLModel, table=True):
    """One line of an item's history, kept forever: progress, review, look-back."""

    __tablename__ = "progress_report"
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="rectification_item.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    kind: str = Field(default=ReportKind.progress, max_length=16)
    percent: int
    text: str = Field(default="", max_length=2000)
    files: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RatingParticipation(SQLModel, table=True):
    """That a member rated an item: no choice, no time."""

    __tablename__ = "rating_participation"
    item_id: int = Field(foreign_key="rectification_item.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class RatingTally(SQLModel, table=True):
    """How many chose what: no member."""

    __tablename__ = "rating_tally"
    item_id: int = Field(foreign_key="rectification_item.id", primary_key=True)
    choice: str = Field(primary_key=True, max_length=16)
    count: int = 0


class RatingComment(SQLModel, table=True):
    __tablename__ = "rating_comment"
    id: int = Field(
        default_factory=random_id,
        sa_type=RandomId,
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
    )
    item_id: int = Field(foreign_key="rectification_item.id", index=True)
    text: str = Field(max_length=500)
    day: date


class Bulletin(SQLModel, table=True):
    """A monthly bulletin (月通报) as compiled, and whether it was published (公示)."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    month: str = Field(max_length=7)  # "2026-11"
    text: str
    chart: bytes | None = Field(default=None, sa_type=LargeBinary)  # PNG
    workbook: bytes | None = Field(default=None, sa_type=LargeBinary)  # xlsx
    published: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
