"""Surveys (民主测评 / 满意度测评 / 群众评议), heart-to-heart talks (谈心谈话) and the
democratic life meeting (民主生活会).

Survey answers are anonymous by design, as LimeSurvey's anonymized responses are:
``survey_participation`` records who took part and nothing else; a ``survey_response``
groups one person's answers under a random id, dated by day, with no member; answers are
written in batches of several respondents (handlers/state.py MixPool).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from storage.types import RandomId, UTCDateTime, random_id, utcnow


class QuestionKind(StrEnum):
    single = "single"
    multi = "multi"
    rating = "rating"  # 1-5
    text = "text"


class SurveyStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


def _random_pk() -> Any:
    return Field(
        default_factory=random_id,
        sa_type=RandomId,
        primary_key=True,
        sa_column_kwargs={"autoincrement": False},
    )


class Survey(SQLModel, table=True):
    __table_args__ = (Index("ix_survey_open", "status", "closes_at"),)  # the scheduler's
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200)
    template: str = Field(default="custom", max_length=16)
    audience: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=SurveyStatus.draft, max_length=16)
    results_open: bool = False  # the office opened results before the window closed
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyQuestion(SQLModel, table=True):
    __tablename__ = "survey_question"
    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    position: int
    kind: str = Field(max_length=8)
    text: str = Field(max_length=500)
    options: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    required: bool = True


class SurveyParticipation(SQLModel, table=True):
    """That a member answered a survey: no answers, no time."""

    __tablename__ = "survey_participation"
    survey_id: int = Field(foreign_key="survey.id", primary_key=True)
    member_id: int = Field(foreign_key="member.id", primary_key=True)


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"
    id: int = _random_pk()
    survey_id: int = Field(foreign_key="survey.id", index=True)
    day: date


class SurveyAnswer(SQLModel, table=True):
    __tablename__ = "survey_answer"
    id: int = _random_pk()
    response_id: int = Field(sa_type=RandomId, foreign_key="survey_response.id", index=True)
    question_id: int = Field(foreign_key="survey_question.id")
    choices: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text: str = Field(default="", max_length=2000)


class Talk(SQLModel, table=True):
    """A heart-to-heart talk (谈心谈话), recorded by one party and confirmed by the other."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    recorded_by: int = Field(foreign_key="member.id", index=True)
    with_member: int = Field(foreign_key="member.id", index=True)
    held_on: date
    topics: str = Field(default="", max_length=500)
    summary: str = Field(default="", max_length=2000)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Meeting(SQLModel, table=True):
    """The democratic life meeting (民主生活会)."""

    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    title: str = Field(max_length=200)
    held_at: datetime = Field(sa_type=UTCDateTime)
    place: str | None = Field(default=None, max_length=300)
    participants: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    outline_deadline_id: int | None = Field(default=None, foreign_key="deadline.id")
    minutes: str = ""
    survey_id: int | None = Field(default=None, foreign_key="survey.id")
    created_by: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
