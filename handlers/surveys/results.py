"""Survey results: counts and percentages per question, a chart, free-text answers in
random order — withheld below k responses, and sealed until the window closes unless the
office opens them early on purpose (which the audit log records)."""

from __future__ import annotations

import asyncio
from collections import Counter

from handlers.context import Context
from handlers.messages import Image, Text
from handlers.surveys.common import K, results_visible
from storage.examine_models import QuestionKind, Survey, SurveyQuestion

PANELS_PER_CHART = 4
COLORS = ("#2e7d32", "#66bb6a", "#ffb300", "#e53935", "#8e24aa")


async def may_read(ctx: Context, survey: Survey) -> bool:
    """The office of the survey's organization, and supervisors above it."""
    member = ctx.member
    if member is None:
        return False
    if member.role == "admin" and member.org_id == survey.org_id:
        return True
    return member.role == "supervisor" and survey.org_id in await ctx.db.orgs.subtree_ids(
        member.org_id
    )


async def results_replies(ctx: Context, survey: Survey) -> list[Text | Image]:
    responses = await ctx.db.surveys.response_count(survey.id)  # type: ignore[arg-type]
    if not results_visible(ctx, survey):
        closes = survey.closes_at.astimezone(ctx.zone)
        return [Text(ctx.t("surveys.sealed", title=survey.title, m=closes.month, d=closes.day))]
    if responses < K:
        return [Text(ctx.t("surveys.withheld", title=survey.title, k=K, n=responses))]
    questions = await ctx.db.surveys.questions(survey.id)  # type: ignore[arg-type]
    tallies = await ctx.db.surveys.tallies(survey.id)  # type: ignore[arg-type]
    lines = [ctx.t("surveys.results_header", title=survey.title, n=responses)]
    panels = []
    for question in questions:
        if question.kind == QuestionKind.text:
            texts = await ctx.db.surveys.texts(question.id)  # type: ignore[arg-type]
            lines.append(ctx.t("surveys.texts_header", text=question.text, n=len(texts)))
            lines += [f"· {t}" for t in texts]
            continue
        labels, counts = _labels(question), tallies.get(question.id, Counter())  # type: ignore[arg-type]
        shares = [
            f"{label} {counts[i]}({round(100 * counts[i] / responses)}%)"
            for i, label in enumerate(labels, start=_first(question))
        ]
        lines.append(f"{question.position}. {question.text}\n   " + " · ".join(shares))
        panels.append((question, labels, counts))
    replies: list[Text | Image] = [Text("\n".join(lines))]
    for start in range(0, len(panels), PANELS_PER_CHART):
        png = await asyncio.to_thread(
            _chart, survey.title, panels[start : start + PANELS_PER_CHART]
        )
        replies.append(Image(png, ctx.t("surveys.chart_caption"), f"survey-{survey.id}.png"))
    return replies


def _first(question: SurveyQuestion) -> int:
    return 1 if question.kind == QuestionKind.rating else 0


def _labels(question: SurveyQuestion) -> list[str]:
    return ["1", "2", "3", "4", "5"] if question.kind == QuestionKind.rating else question.options


def _chart(title: str, panels: list[tuple[SurveyQuestion, list[str], Counter[int]]]) -> bytes:
    from handlers.ledger.chart import Panel, render_chart

    drawn = [
        Panel(
            title=f"{q.position}. {q.text[:14]}",
            labels=tuple(labels),
            values=tuple(counts[i] for i in range(_first(q), _first(q) + len(labels))),
            colors=tuple(COLORS[i % len(COLORS)] for i in range(len(labels))),
        )
        for q, labels, counts in panels
    ]
    return render_chart(title, drawn)
