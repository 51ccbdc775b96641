"""Repository of surveys: questions, who took part, and the unlinked answers."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.examine_models import (
    Survey,
    SurveyAnswer,
    SurveyParticipation,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)


class SurveyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, survey: Survey, questions: list[SurveyQuestion]) -> Survey:
        self.session.add(survey)
        await self.session.flush()
        for position, question in enumerate(questions, start=1):
            question.survey_id, question.position = survey.id, position  # type: ignore[assignment]
            self.session.add(question)
        await self.session.flush()
        return survey

    async def replace_questions(self, survey: Survey, questions: list[SurveyQuestion]) -> None:
        """A draft's questions written anew (a draft has no answers to keep)."""
        assert survey.status == SurveyStatus.draft and survey.id is not None
        for old in await self.questions(survey.id):
            await self.session.delete(old)
        await self.session.flush()
        for position, question in enumerate(questions, start=1):
            question.survey_id, question.position = survey.id, position
            self.session.add(question)
        await self.session.flush()

    async def get(self, survey_id: int) -> Survey | None:
        return await self.session.get(Survey, survey_id)

    async def questions(self, survey_id: int) -> list[SurveyQuestion]:
        query = (
            select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(col(SurveyQuestion.position))
        )
        return list((await self.session.exec(query)).all())

    async def in_org(self, org_id: int) -> list[Survey]:
        query = select(Survey).where(Survey.org_id == org_id).order_by(col(Survey.id).desc())
        return list((await self.session.exec(query)).all())

    async def running(self, org_id: int, now: datetime) -> list[Survey]:
        query = select(Survey).where(
            Survey.org_id == org_id,
            Survey.status == SurveyStatus.open,
            Survey.opens_at <= now,
            Survey.closes_at > now,
        )
        return list((await self.session.exec(query.order_by(col(Survey.closes_at)))).all())

    async def opening_between(self, start: datetime, end: datetime) -> list[Survey]:
        query = select(Survey).where(
            Survey.status == SurveyStatus.open, Survey.closes_at > start, Survey.opens_at <= end
        )
        return list((await self.session.exec(query)).all())

    async def took_part(self, survey_id: int, member_id: int) -> bool:
        return await self.session.get(SurveyParticipation, (survey_id, member_id)) is not None

    async def participants(self, survey_id: int) -> set[int]:
        query = select(SurveyParticipation.member_id).where(
            SurveyParticipation.survey_id == survey_id
        )
        return set((await self.session.exec(query)).all())

    async def record(
        self, entries: list[tuple[int, int, list[tuple[int, list[int], str]]]], day: date
    ) -> int:
        """Several respondents' (survey, member, answers) at once; a second response from
        the same member is dropped. Returns how many responses were kept."""
        kept = 0
        for survey_id, member_id, answers in entries:
            if await self.took_part(survey_id, member_id):
                continue
            self.session.add(SurveyParticipation(survey_id=survey_id, member_id=member_id))
            response = SurveyResponse(survey_id=survey_id, day=day)
            self.session.add(response)
            await self.session.flush()
            for question_id, choices, text in answers:
                self.session.add(
                    SurveyAnswer(
                        response_id=response.id,
                        question_id=question_id,
                        choices=choices,
                        text=text,
                    )
                )
            kept += 1
        await self.session.flush()
        return kept

    async def response_count(self, survey_id: int) -> int:
        query = (
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.survey_id == survey_id)
        )
        return (await self.session.exec(query)).one()

    async def tallies(self, survey_id: int) -> dict[int, Counter[int]]:
        """Per question, how many chose each option (or each rating)."""
        query = (
            select(SurveyAnswer)
            .join(SurveyResponse, col(SurveyResponse.id) == SurveyAnswer.response_id)
            .where(SurveyResponse.survey_id == survey_id)
        )
        found: dict[int, Counter[int]] = {}
        for answer in (await self.session.exec(query)).all():
            found.setdefault(answer.question_id, Counter()).update(answer.choices)
        return found

    async def texts(self, question_id: int) -> list[str]:
        """Free-text answers in random order (their random ids), never in the order given."""
        query = (
            select(SurveyAnswer.text)
            .where(SurveyAnswer.question_id == question_id, SurveyAnswer.text != "")
            .order_by(col(SurveyAnswer.id))
        )
        return list((await self.session.exec(query)).all())

    async def set(self, survey: Survey, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(survey, name, value)
        self.session.add(survey)
