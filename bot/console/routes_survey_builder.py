"""A custom survey built in the console: the question editor (add, remove, move up or
down — buttons that re-render the form, so it works without JavaScript), saved as a draft
only when every field is right (each error beside its field, what was typed kept, nothing
written), the draft previewed as members will see it, then opened. The checks and the
writing are handlers/surveys/build.py's, shared with the command line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.console.page import Page
from bot.console.routes_surveys import BASE, ONE
from bot.console.routing import ADMIN, AUDITORS, RouteTable
from handlers.console_ops import survey_builder as ops
from handlers.console_ops.context import OpContext, Refused
from handlers.schedule import org_zone
from handlers.study.organize import RANKS, ROLES
from handlers.surveys import build
from handlers.surveys.build import SurveyDraft
from handlers.surveys.common import K
from handlers.surveys.take import TEXT_LIMIT
from storage.examine_models import Survey, SurveyQuestion
from storage.repos import Repos

routes = RouteTable()
NEW = BASE + "/new"
LIMITS = {"title": build.TITLE_LIMIT, "text": build.QUESTION_LIMIT, "option": build.OPTION_LIMIT,
          "options": build.MAX_OPTIONS, "questions": build.MAX_QUESTIONS}  # fmt: skip


def _render(
    page: Page, draft: SurveyDraft, errors: dict[str, str], *, survey: Survey | None,
    status: int = 200,
) -> web.Response:  # fmt: skip
    services = page.core.services
    week = services.clock().astimezone(services.zone) + timedelta(days=7)
    return page.render(
        "survey_builder.html", status=status, draft=draft, errors=errors, survey=survey,
        kinds=build.KINDS, choice_kinds=build.CHOICE_KINDS, roles=ROLES, ranks=RANKS, k=K,
        limits=LIMITS, example=f"{week:%Y-%m-%d} 18:00",
        action=f"{BASE}/{survey.id}/edit" if survey else NEW,
    )  # fmt: skip


def _typed(page: Page) -> SurveyDraft:
    values = {}
    for name in ops.field_names(ops.READ_AT_MOST):
        value = page.form.get(name)
        if isinstance(value, str):
            values[name] = value
    roles = [str(v) for v in page.form.getall("roles", [])]
    ranks = [str(v) for v in page.form.getall("ranks", [])]
    return ops.typed(values, roles, ranks)


async def _editable(page: Page, db: Repos) -> tuple[Survey, OpContext] | None:
    """A survey of the viewer's own organization (else: as if there were none), refused
    unless it is still a draft."""
    survey = await db.surveys.get(int(page.match("id")))
    if survey is None or survey.org_id != page.me.member.org_id:
        return None
    ctx = page.ops(db)
    if not ops.may_edit(ctx, survey):
        raise Refused([page.t("surveys.build.not_draft")])
    return survey, ctx


def _refused(page: Page, refused: Refused) -> web.Response:
    """To the survey's page (a draft's is its preview), with why."""
    return page.redirect(f"{BASE}/{page.match('id')}", *refused.messages, kind="error")


@routes.get(NEW, roles=ADMIN)
async def new_survey(page: Page) -> web.StreamResponse:
    return _render(page, SurveyDraft(), {}, survey=None)


@routes.get(ONE + "/edit", roles=ADMIN)
async def edit_survey(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> tuple[Survey, SurveyDraft] | None:
        found = await _editable(page, db)
        return (found[0], await ops.draft_for(found[1], found[0])) if found else None

    try:
        found = await page.run(read)
    except Refused as refused:
        return _refused(page, refused)
    if found is None:
        return page.not_found()
    return _render(page, found[1], {}, survey=found[0])


@routes.post(NEW, roles=ADMIN)
async def create(page: Page) -> web.StreamResponse:
    return await _submit(page, editing=False)


@routes.post(ONE + "/edit", roles=ADMIN)
async def change(page: Page) -> web.StreamResponse:
    return await _submit(page, editing=True)


async def _submit(page: Page, *, editing: bool) -> web.Response:
    draft, action = _typed(page), page.field("act") or "save"

    async def work(db: Repos) -> tuple[Survey | None, dict[str, str], int] | None:
        survey = None
        if editing:
            found = await _editable(page, db)
            if found is None:
                return None
            survey = found[0]
        if action != "save":  # the editor's own buttons: what was typed, rearranged
            return survey, ops.edit(page.t, draft, action), 0
        checked, saved = await ops.save(page.ops(db), draft, survey)
        return survey, checked.errors, (saved.id or 0) if saved else 0

    try:
        found = await page.run(work, writes=action == "save")
    except Refused as refused:  # no longer a draft: opened meanwhile, from another tab
        return _refused(page, refused) if editing else page.redirect(BASE, *refused.messages,
                                                                     kind="error")  # fmt: skip
    if found is None:
        return page.not_found()
    survey, errors, number = found
    if not number:
        return _render(page, draft, errors, survey=survey, status=400 if errors else 200)
    return page.redirect(f"{BASE}/{number}/preview", page.t("surveys.build.saved"))


@routes.get(ONE + "/preview", roles=AUDITORS)
async def preview(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> dict[str, Any] | None:
        survey = await db.surveys.get(int(page.match("id")))
        if survey is None or not page.me.sees(survey.org_id):
            return None
        ctx = page.ops(db)
        questions: list[SurveyQuestion] = await db.surveys.questions(survey.id or 0)
        reach = len(await db.study.audience(survey.org_id, survey.audience))
        org = await db.orgs.get(survey.org_id)
        zone = org_zone(org)  # the window as the organization reads its clocks
        opens = survey.opens_at.astimezone(zone) if survey.opens_at > ctx.now() else None
        return {"survey": survey, "questions": questions, "reach": reach, "org": org,
                "editable": ops.may_edit(ctx, survey), "closes": survey.closes_at.astimezone(zone),
                "opens": opens}  # fmt: skip

    found = await page.run(read)
    if found is None:
        return page.not_found()
    spec = found["survey"].audience
    named = [page.t(f"role.{r}") for r in spec.get("roles", [])]
    named += [page.t(f"study.rank_{r}") for r in spec.get("ranks", [])]
    audience = page.t("surveys.build.separator").join(named) or page.t("surveys.audience_all")
    return page.render("survey_preview.html", k=K, choice_kinds=build.CHOICE_KINDS,
                       audience=audience, text_limit=TEXT_LIMIT, **found)  # fmt: skip


@routes.post(ONE + "/open", roles=ADMIN)
async def open_draft(page: Page) -> web.StreamResponse:
    async def work(db: Repos) -> int | None:
        found = await _editable(page, db)
        return await ops.open_draft(found[1], found[0]) if found else None

    try:
        reach = await page.run(work, writes=True)
    except Refused as refused:
        return _refused(page, refused)
    if reach is None:
        return page.not_found()
    return page.redirect(f"{BASE}/{page.match('id')}", page.t("console.survey_opened", n=reach))
