"""The console's custom-survey builder: the form's fields read into a draft
(handlers/surveys/build.py, which checks and saves it as the command line does), the
editor's own buttons — add a question, remove one, move one up or down — applied to what
was typed without writing anything, and the draft saved, then opened, with the audit
entries marked as done from the console."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from handlers.admin_ops import OpError
from handlers.console_ops.context import OpContext, Refused, stamp
from handlers.surveys import build
from handlers.surveys.build import MAX_QUESTIONS, Checked, QuestionDraft, SurveyDraft
from storage.examine_models import Survey, SurveyStatus

READ_AT_MOST = 3 * MAX_QUESTIONS  # a forged form's question count stops mattering here
FIELDS = ("title", "opens", "closes")
QUESTION_FIELDS = ("kind", "text", "options", "required")
MOVES = ("remove", "up", "down")


def field_names(count: int) -> list[str]:
    """Every single-valued field the form may send for ``count`` questions."""
    asked = [f"q{n}_{name}" for n in range(1, count + 1) for name in QUESTION_FIELDS]
    return [*FIELDS, *asked]


def typed(values: Mapping[str, str], roles: list[str], ranks: list[str]) -> SurveyDraft:
    """The form as a draft: questions q1…qN in order, as far as they were sent."""
    questions = []
    for n in range(1, READ_AT_MOST + 1):
        kind = values.get(f"q{n}_kind")
        if kind is None:
            break
        questions.append(QuestionDraft(
            kind=kind, text=values.get(f"q{n}_text", ""),
            options=values.get(f"q{n}_options", "").replace("\r\n", "\n"),
            required=values.get(f"q{n}_required") == "1",
        ))  # fmt: skip
    return SurveyDraft(
        title=values.get("title", ""), opens=values.get("opens", ""),
        closes=values.get("closes", ""), roles=roles[:10], ranks=ranks[:10], questions=questions,
    )  # fmt: skip


def edit(t: Callable[..., str], draft: SurveyDraft, action: str) -> dict[str, str]:
    """One of the editor's buttons ("add", "up-3", …) applied to the draft in place;
    returns the error to show, if the action cannot be done. Nothing is written."""
    questions = draft.questions
    if action == "add":
        if len(questions) >= MAX_QUESTIONS:
            return {"questions": t(build.ERR + "err_too_many", limit=MAX_QUESTIONS)}
        questions.append(QuestionDraft())
        return {}
    move, _, number = action.partition("-")
    at = int(number) - 1 if number.isascii() and number.isdigit() and len(number) < 4 else -1
    if move not in MOVES or not 0 <= at < len(questions):
        return {}
    if move == "remove":
        del questions[at]
    elif move == "up" and at > 0:
        questions[at - 1], questions[at] = questions[at], questions[at - 1]
    elif move == "down" and at + 1 < len(questions):
        questions[at + 1], questions[at] = questions[at], questions[at + 1]
    return {}


def may_edit(ctx: OpContext, survey: Survey) -> bool:
    """The office of the survey's own organization, while it is a draft."""
    member = ctx.member
    return (
        member is not None
        and member.role == "admin"
        and member.org_id == survey.org_id
        and survey.status == SurveyStatus.draft
    )


async def draft_for(ctx: OpContext, survey: Survey) -> SurveyDraft:
    assert survey.id is not None
    return build.draft_of(ctx, survey, await ctx.db.surveys.questions(survey.id))


async def save(
    ctx: OpContext, draft: SurveyDraft, survey: Survey | None = None
) -> tuple[Checked, Survey | None]:
    """Checked, and saved as a draft only when nothing is wrong."""
    checked = await build.check(ctx, draft)
    if not checked.ok:
        return checked, None
    try:
        saved = await build.save_draft(ctx, checked, survey)
    except OpError as problem:
        raise Refused([ctx.t(problem.key, **problem.params)]) from None
    stamp(ctx, saved.org_id)
    return checked, saved


async def open_draft(ctx: OpContext, survey: Survey) -> int:
    try:
        reach = await build.open_draft(ctx, survey)
    except OpError as problem:
        raise Refused([ctx.t(problem.key, **problem.params)]) from None
    stamp(ctx, survey.org_id)
    return reach
