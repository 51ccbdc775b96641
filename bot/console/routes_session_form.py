"""Creating and changing a study session: the time typed as people say it ("明天下午3点到
5点", "12月1日 14:30-16:30"), read in the organization's zone, and a time that cannot be
read, or is past, refused beside its field with what was typed kept; nothing written
while anything is wrong."""

from __future__ import annotations

from aiohttp import web

from bot.console.page import Page
from bot.console.routes_study import SESSION, SESSIONS, load
from bot.console.routing import ADMIN, RouteTable
from handlers.admin_ops import OpError
from handlers.console_ops import study as ops
from handlers.console_ops.forms import Form
from handlers.study.organize import RANKS, ROLES
from handlers.study.when import example
from storage.repos import Repos
from storage.study_models import StudySession

routes = RouteTable()


def _render(
    page: Page, form: Form, *, session: StudySession | None, status: int = 200
) -> web.Response:
    services = page.core.services
    return page.render(
        "session_form.html", status=status, form=form, session=session, roles=ROLES,
        ranks=RANKS, limits={"title": ops.TITLE_LIMIT, "place": ops.PLACE_LIMIT},
        readings_limit=ops.READINGS_LIMIT, example=example(services.clock(), services.zone),
    )  # fmt: skip


def _typed(page: Page) -> tuple[dict[str, str], list[str], list[str]]:
    values = {name: str(page.form.get(name, "")) for name in ops.FIELDS}
    roles = [str(v) for v in page.form.getall("roles", [])][:10]
    ranks = [str(v) for v in page.form.getall("ranks", [])][:10]
    return values, roles, ranks


@routes.get(SESSIONS + "/new", roles=ADMIN)
async def new_session(page: Page) -> web.StreamResponse:
    return _render(page, Form(), session=None)


@routes.post(SESSIONS + "/new", roles=ADMIN)
async def create_session(page: Page) -> web.StreamResponse:
    values, roles, ranks = _typed(page)

    async def work(db: Repos) -> tuple[Form, int, int]:
        ctx = page.ops(db)
        form = await ops.check(ctx, values, roles, ranks)
        if not form.ok:
            return form, 0, 0
        try:
            session, reminded = await ops.create(ctx, form)
        except OpError as problem:  # the audience emptied, or the time passed, meanwhile
            where = "when" if problem.key.startswith("study.when") else "audience"
            form.fail(where, ctx.t(ops.WHEN_WORDS.get(problem.key, problem.key),
                                   **problem.params))  # fmt: skip
            raise _Failed(form) from None
        return form, session.id or 0, reminded

    try:
        form, number, reminded = await page.run(work, writes=True)
    except _Failed as failed:
        return _render(page, failed.form, session=None, status=400)
    if not form.ok:
        return _render(page, form, session=None, status=400)
    said = [page.t("console.session_created")]
    if reminded:
        said.append(page.t("console.session_reminded", count=reminded))
    return page.redirect(f"{SESSIONS}/{number}", *said)


class _Failed(Exception):
    """Refused after writing began: the transaction rolls back."""

    def __init__(self, form: Form) -> None:
        super().__init__("form refused")
        self.form = form


@routes.get(SESSION + "/edit", roles=ADMIN)
async def edit_page(page: Page) -> web.StreamResponse:
    async def read(db: Repos) -> tuple[StudySession, Form] | None:
        found = await load(page, db)
        if found is None:
            return None
        session, ctx = found
        return session, Form(ops.values_of(session, ctx))

    found = await page.run(read)
    if found is None:
        return page.not_found()
    session, form = found
    if not ops.changeable(session, page.core.services.clock()):
        return page.redirect(f"{SESSIONS}/{session.id}", page.t("console.session_fixed"),
                             kind="error")  # fmt: skip
    return _render(page, form, session=session)


@routes.post(SESSION + "/edit", roles=ADMIN)
async def edit_session(page: Page) -> web.StreamResponse:
    values, _, _ = _typed(page)

    async def work(db: Repos) -> tuple[StudySession, Form, list[str]] | None:
        found = await load(page, db)
        if found is None:
            return None
        session, ctx = found
        values["title"] = session.title
        form = await ops.check(ctx, values, [], [], was=session)
        if not ops.changeable(session, ctx.now()):
            form.fail("when", page.t("console.session_fixed"))
        if not form.ok:
            return session, form, []
        return session, form, await ops.change(ctx, session, form)

    found = await page.run(work, writes=True)
    if found is None:
        return page.not_found()
    session, form, said = found
    if not form.ok:
        return _render(page, form, session=session, status=400)
    return page.redirect(f"{SESSIONS}/{session.id}", *said)
