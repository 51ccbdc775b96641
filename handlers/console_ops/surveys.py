"""Surveys for the web console: opening one of the campaign's templates for an audience
and a window (handlers/surveys/common.py open_survey_from_template, as the chat and the
command line do), the list with response counts, and results — counts and percentages,
free-text answers in random order — withheld below k responses and sealed until the
window closes unless the office opens them early on purpose (the chat's own handler,
which the audit log records). Nothing here knows, or can show, who answered what."""

from __future__ import annotations

import io
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from handlers.console_ops.context import OpContext, actor, finish, stamp
from handlers.console_ops.forms import Form, choice, text
from handlers.surveys import manage
from handlers.surveys.common import TEMPLATES, K, open_survey_from_template, results_visible
from handlers.timeparse import TimeParseError, parse_when
from storage.examine_models import QuestionKind, Survey, SurveyQuestion, SurveyStatus

FIELDS = ("template", "audience", "closes", "title")
AUDIENCES = tuple(manage.AUDIENCES)
TITLE_LIMIT = 200
LONGEST = timedelta(days=92)
Action = Callable[[OpContext, Survey], Awaitable[list[str]]]


@dataclass(frozen=True)
class Share:
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class Answered:
    question: SurveyQuestion
    shares: list[Share] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Results:
    survey: Survey
    responses: int
    state: str  # sealed | withheld | shown
    questions: list[Answered]


def status(ctx: OpContext, survey: Survey) -> str:
    if survey.status == SurveyStatus.open and ctx.now() >= survey.closes_at:
        return SurveyStatus.closed
    return str(survey.status)


async def check(ctx: OpContext, values: dict[str, str]) -> Form:
    assert ctx.org is not None and ctx.org.id is not None
    form = Form.of(values, FIELDS)
    choice(ctx, form, "template", TEMPLATES)
    text(ctx, form, "title", TITLE_LIMIT, required=False, label=ctx.t("console.f_survey_title"))
    typed, now = form.values["closes"], ctx.now()
    if not typed:
        form.fail("closes", ctx.t("console.err_required", field=ctx.t("console.f_closes")))
    else:
        try:
            found = parse_when(typed, now, ctx.zone)
        except TimeParseError as problem:
            params = problem.params_for(ctx.zone, ctx.lang, now=now)
            form.fail("closes", ctx.t(problem.reason_key, **params))
        else:  # a day alone: the end of that day, as in chat
            end = found.start + timedelta(days=1, minutes=-1) if found.date_only else found.start
            if end - now > LONGEST:
                form.fail("closes", ctx.t("console.err_closes_far", days=LONGEST.days))
            form.clean["closes"] = end
    if choice(ctx, form, "audience", AUDIENCES) is not None:
        reach = await ctx.db.study.audience(ctx.org.id, manage.AUDIENCES[form.clean["audience"]])
        if len(reach) < K:
            form.fail("audience", ctx.t("surveys.audience_small", k=K, n=len(reach)))
        form.clean["reach"] = len(reach)
    return form


async def open_survey(ctx: OpContext, form: Form) -> Survey:
    """Opened as the chat opens one, with the same audit entry."""
    assert ctx.org is not None and ctx.org.id is not None and ctx.member is not None and form.ok
    spec = manage.AUDIENCES[form.clean["audience"]]
    survey = await open_survey_from_template(
        ctx, ctx.org.id, form.clean["template"], spec, form.clean["title"] or None,
        closes_at=form.clean["closes"],
    )  # fmt: skip
    await ctx.db.audit.record(actor(ctx.member), "survey.open", org_id=ctx.org.id,
                              survey=survey.id)  # fmt: skip
    stamp(ctx, ctx.org.id)
    return survey


async def results(ctx: OpContext, survey: Survey) -> Results:
    """The figures, or why there are none yet: the same rules as the chat's results."""
    assert survey.id is not None
    responses = await ctx.db.surveys.response_count(survey.id)
    if not results_visible(ctx, survey):
        return Results(survey, responses, "sealed", [])
    if responses < K:
        return Results(survey, responses, "withheld", [])
    tallies = await ctx.db.surveys.tallies(survey.id)
    shown = []
    for question in await ctx.db.surveys.questions(survey.id):
        if question.kind == QuestionKind.text:
            texts = await ctx.db.surveys.texts(question.id or 0)
            _shuffle(texts)
            shown.append(Answered(question, texts=texts))
            continue
        first = 1 if question.kind == QuestionKind.rating else 0
        labels = [str(n) for n in range(1, 6)] if first else list(question.options)
        counts = tallies.get(question.id or 0, {})
        shares = [
            Share(label, counts.get(i, 0), round(100 * counts.get(i, 0) / responses))
            for i, label in enumerate(labels, start=first)
        ]
        shown.append(Answered(question, shares=shares))
    return Results(survey, responses, "shown", shown)


def _shuffle(items: list[str]) -> None:
    """A fresh random order each time the page is read (never the order given)."""
    for i in range(len(items) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        items[i], items[j] = items[j], items[i]


def workbook(ctx: OpContext, found: Results) -> bytes:
    """The shown results as a spreadsheet: one row per option, then the free texts."""
    from openpyxl import Workbook  # heavy: imported only when used
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = ctx.t("console.survey_sheet")[:31]
    sheet.append([found.survey.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([ctx.t("console.survey_responses", count=found.responses)])
    sheet.append([ctx.t(f"console.survey_col_{c}") for c in ("question", "option", "count",
                                                             "percent")])  # fmt: skip
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for answered in found.questions:
        title = f"{answered.question.position}. {answered.question.text}"
        for share in answered.shares:
            sheet.append([title, share.label, share.count, share.percent / 100])
            sheet.cell(sheet.max_row, 4).number_format = "0%"
        for words in answered.texts:
            sheet.append([title, words])
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # typed text stays text, even if it starts with "="
    for column, width in zip("ABCD", (40, 40, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def close_now(ctx: OpContext, survey: Survey) -> list[str]:
    ctx.params = (str(survey.id),)
    await manage.end_now(ctx)
    return await finish(ctx, "surveys.closed_now", org_id=survey.org_id, action="survey.close")


async def open_early(ctx: OpContext, survey: Survey) -> list[str]:
    """On purpose, and recorded: the chat's own handler writes the audit entry."""
    ctx.params = (str(survey.id),)
    await manage.open_early(ctx)
    return await finish(ctx, "surveys.opened_early", org_id=survey.org_id,
                        action="survey.results_early")  # fmt: skip
