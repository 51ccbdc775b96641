"""The web console (SPEC §3–§5): the campaign office's pages, served under /console by the
same aiohttp app as the web chat.

Every request passes one gate before its page runs: the session (none or expired: to the
login page, then back), the CSRF token on every POST, the route's roles (deny by default),
and the form's nonce (a double submit does the work once). Pages then check the
organization of whatever they load against the viewer's scope.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.console import (
    routes_audit,
    routes_auth,
    routes_broadcasts,
    routes_bulletins,
    routes_dashboard,
    routes_deadlines,
    routes_ledger,
    routes_ledger_form,
    routes_member,
    routes_members,
    routes_opinions,
    routes_orgs,
    routes_session_form,
    routes_study,
    routes_survey_builder,
    routes_surveys,
)
from bot.console.auth import COOKIE, LANG_COOKIE, PRE_COOKIE, same_token
from bot.console.page import HEADERS, Core, Page
from bot.console.routing import Route
from config.i18n import LANGUAGES, normalize_language
from handlers.context import Services
from storage.db import Database

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
STATIC_PREFIX = "/console/static/"
MODULES = (
    routes_auth,
    routes_dashboard,
    routes_opinions,
    routes_ledger,
    routes_ledger_form,
    routes_members,
    routes_member,
    routes_session_form,  # /sessions/new before /sessions/{id}
    routes_study,
    routes_deadlines,
    routes_survey_builder,  # /surveys/new, and a draft's pages
    routes_surveys,
    routes_orgs,
    routes_broadcasts,
    routes_bulletins,
    routes_audit,
)


class Console:
    def __init__(
        self, db: Database, services: Services, *, on_queued: Callable[[], None] | None = None
    ) -> None:
        self.core = Core(db, services, on_queued)

    @property
    def routes(self) -> list[Route]:
        return [route for module in MODULES for route in module.routes.routes]

    def add_routes(self, app: web.Application) -> None:
        for route in self.routes:
            app.router.add_route(route.method, route.path, self._gate(route))
        app.router.add_static(STATIC_PREFIX, STATIC, name="console_static")

    def _gate(self, route: Route) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await self._serve(route, request)

        return handle

    async def _serve(self, route: Route, request: web.Request) -> web.StreamResponse:
        core, post = self.core, request.method == "POST"
        lang = (
            normalize_language(request.cookies.get(LANG_COOKIE)) or core.services.default_language
        )
        if post and not _same_site(request):
            return _refused(core, request, lang)
        form = await request.post() if post else None
        if route.public:
            if post and not same_token(form.get("csrf") if form else None,
                                       request.cookies.get(PRE_COOKIE)):  # fmt: skip
                return _refused(core, request, lang)
            return await _run(route, Page(core, request, lang, None, form))
        cookie = request.cookies.get(COOKIE)
        viewer = await core.sessions.load(cookie)
        if viewer is None:
            return _to_login(request, expired=bool(cookie))
        if not request.cookies.get(LANG_COOKIE) and viewer.member.language in LANGUAGES:
            lang = viewer.member.language or lang
        page = Page(core, request, lang, viewer, form)
        if post and not same_token(page.form.get("csrf"), viewer.csrf):
            return _refused(core, request, lang, viewer)
        if viewer.role not in route.roles:
            return page.forbidden()
        nonce = page.field("nonce")
        if not post or not nonce:
            return await _run(route, page)
        key = (viewer.session, nonce[:64])
        if (done := await core.nonces.claim(key)) is not None:
            return web.Response(status=303, headers={"Location": done, **HEADERS})
        try:
            response = await _run(route, page)
        except BaseException:
            core.nonces.release(key)
            raise
        if response.status in (302, 303) and "Location" in response.headers:
            core.nonces.succeed(key, response.headers["Location"])
        else:
            core.nonces.release(key)
        return response


async def _run(route: Route, page: Page) -> web.StreamResponse:
    """The page; a failure below it is logged and told plainly, never as a traceback (the
    transaction it happened in was rolled back, so nothing is half-written)."""
    try:
        return await route.handler(page)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("console page %s %s failed", route.method, route.path)
        return page.error(500, "console.internal")


def _same_site(request: web.Request) -> bool:
    """A POST from another site is refused before its body is read."""
    if request.headers.get("Sec-Fetch-Site") in ("cross-site", "same-site"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _refused(core: Core, request: web.Request, lang: str, viewer: Any = None) -> web.Response:
    """A POST without the right CSRF token: nothing is done."""
    page = Page(core, request, lang, viewer)
    return page.error(403, "console.csrf_refused")


def _to_login(request: web.Request, *, expired: bool) -> web.Response:
    """No session (or an expired one): log in, then come back to this page; after a POST,
    back to the page the form was on."""
    back = request.path_qs
    if request.method != "GET":
        referer = urlsplit(request.headers.get("Referer", ""))
        same = not referer.netloc or referer.netloc == request.host
        back = referer.path + (f"?{referer.query}" if referer.query else "") if same else ""
    back = back if back.startswith("/console") else "/console"
    where = f"/console/login?next={quote(back, safe='')}" + ("&expired=1" if expired else "")
    response = web.Response(status=303, headers={"Location": where, **HEADERS})
    if expired:
        response.del_cookie(COOKIE, path="/console")
    return response
