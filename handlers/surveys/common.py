"""What the survey modules share: the feature, building surveys from the campaign's
templates, and who still has a survey to answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.context import Context
from handlers.feature import Feature
from handlers.opinions.common import leaders
from storage.examine_models import QuestionKind, Survey, SurveyQuestion, SurveyStatus
from storage.models import Member

feature = Feature("sv")
K = 5  # below this many responses, no figures are shown, for any question
TEMPLATES = ("appraisal", "satisfaction", "effect")
WINDS = ("formalism", "bureaucratism", "hedonism", "extravagance")
DEFAULT_DAYS = 7


def _options(ctx: Context, key: str) -> list[str]:
    return ctx.text_for_default(f"surveys.options_{key}").split("|")


async def template_questions(ctx: Context, template: str) -> list[SurveyQuestion]:
    """The campaign's own surveys, worded in the organization's language."""
    t = ctx.text_for_default
    if template == "appraisal":
        found = [
            SurveyQuestion(
                position=0,
                kind=QuestionKind.single,
                options=_options(ctx, "grade"),
                text=t("surveys.q_team_wind", wind=t(f"category.{wind}")),
            )
            for wind in WINDS
        ]
        for leader in await leaders(ctx):
            found.append(
                SurveyQuestion(
                    position=0,
                    kind=QuestionKind.single,
                    options=_options(ctx, "grade"),
                    text=t("surveys.q_leader", name=leader.name),
                )
            )
    elif template == "satisfaction":
        found = [
            SurveyQuestion(
                position=0,
                kind=QuestionKind.single,
                text=t(f"surveys.q_{key}"),
                options=_options(ctx, "satisfaction"),
            )
            for key in ("meeting_overall", "meeting_criticism", "meeting_measures")
        ]
    else:
        found = [
            SurveyQuestion(
                position=0,
                kind=QuestionKind.single,
                text=t("surveys.q_effect"),
                options=_options(ctx, "grade"),
            ),
            SurveyQuestion(
                position=0,
                kind=QuestionKind.single,
                text=t("surveys.q_rectify"),
                options=_options(ctx, "satisfaction"),
            ),
            SurveyQuestion(
                position=0, kind=QuestionKind.rating, text=t("surveys.q_style"), options=[]
            ),
        ]
    found.append(
        SurveyQuestion(
            position=0,
            kind=QuestionKind.text,
            required=False,
            text=t("surveys.q_suggestion"),
            options=[],
        )
    )
    return found


async def open_survey_from_template(
    ctx: Context,
    org_id: int,
    template: str,
    audience: dict[str, Any],
    title: str | None = None,
    *,
    closes_at: datetime | None = None,
) -> Survey:
    """Build and open one of the campaign's surveys (the meeting opens its rating so)."""
    now = ctx.now()
    survey = Survey(
        org_id=org_id,
        template=template,
        audience=audience,
        opens_at=now,
        closes_at=closes_at or now + timedelta(days=DEFAULT_DAYS),
        status=SurveyStatus.open,
        title=title or ctx.text_for_default(f"surveys.template_{template}"),
        created_by=ctx.member.id if ctx.member else None,
        created_at=now,
    )
    return await ctx.db.surveys.add(survey, await template_questions(ctx, template))


async def owed_by(ctx: Context, member: Member) -> list[Survey]:
    """Running surveys whose audience includes the member, not yet answered by them."""
    assert member.id is not None
    found = []
    for survey in await ctx.db.surveys.running(member.org_id, ctx.now()):
        if not ctx.db.study.includes(survey.audience, member):
            continue
        if await answered(ctx, survey, member):
            continue
        found.append(survey)
    return found


async def answered(ctx: Context, survey: Survey, member: Member) -> bool:
    held = ctx.services.surveys.holds(survey.id, member.id)
    return held or await ctx.db.surveys.took_part(survey.id, member.id)  # type: ignore[arg-type]


def results_visible(ctx: Context, survey: Survey) -> bool:
    return (
        survey.results_open
        or survey.status == SurveyStatus.closed
        or (ctx.now() >= survey.closes_at)
    )
