"""Logging in and out, setting a password by a one-time link, choosing the language."""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.console.auth import (
    COOKIE,
    LANG_COOKIE,
    PRE_COOKIE,
    forget_cookie,
    safe_next,
    set_cookie,
)
from bot.console.page import Page
from bot.console.routing import PUBLIC, READERS, RouteTable
from config.i18n import LANGUAGES
from handlers.console_ops.context import actor
from handlers.console_ops.logins import (
    PASSWORD_MIN,
    candidates,
    digest,
    link_holder,
    password_problem,
    set_password,
    use_link,
    verify,
)
from storage.models import Member
from storage.repos import Repos

routes = RouteTable()


def _pre_token(page: Page) -> tuple[str, bool]:
    """The CSRF token of a form shown before login (kept in its own cookie)."""
    token = page.request.cookies.get(PRE_COOKIE, "")
    if 20 <= len(token) <= 100:
        return token, False
    return secrets.token_urlsafe(32), True


def _public_form(page: Page, template: str, *, status: int = 200, **values: object) -> web.Response:
    token, fresh = _pre_token(page)
    page.csrf = token
    response = page.render(template, status=status, **values)
    if fresh:
        set_cookie(response, PRE_COOKIE, token, secure=page.secure)
    return response


@routes.get("/console/login", roles=PUBLIC)
async def login_page(page: Page) -> web.StreamResponse:
    expired = page.request.query.get("expired") == "1"
    return _public_form(
        page,
        "login.html",
        next=safe_next(page.request.query.get("next", "")),
        name="",
        error=page.t("console.session_expired") if expired else "",
    )


@routes.post("/console/login", roles=PUBLIC)
async def login(page: Page) -> web.StreamResponse:
    name, password = " ".join(page.field("name").split())[:60], str(page.form.get("password", ""))
    goal = safe_next(page.field("next"))
    address = page.request.remote or "?"
    limiter = page.core.limiter
    if limiter.blocked(address, name):
        return _public_form(page, "login.html", status=429, next=goal, name=name,
                            error=page.t("console.login_throttled"))  # fmt: skip
    rows = await page.run(lambda db: candidates(db, name)) if name else []
    found: Member | None = None
    for member, login_row in rows:
        if await verify(login_row.password_hash, password):
            found = member
            break
    if not rows:
        await verify(None, password)  # a miss takes as long as a hit
    if found is None:
        limiter.failed(address, name)
        return _public_form(page, "login.html", status=401, next=goal, name=name,
                            error=page.t("console.login_failed"))  # fmt: skip
    return await _start(page, found, goal)


async def _start(page: Page, member: Member, goal: str, *, note: str = "") -> web.Response:
    old = page.request.cookies.get(COOKIE)

    async def begin(db: Repos) -> str:
        value = await page.core.sessions.start(db.session, member, old)
        await db.audit.record(actor(member), "console.login", org_id=member.org_id)
        return value

    value = await page.run(begin)
    response = web.Response(status=303, headers={"Location": goal})
    set_cookie(response, COOKIE, value, secure=page.secure)
    forget_cookie(response, PRE_COOKIE)
    if note:
        page.core.notes.add(digest(value), "ok", note)
    return response


@routes.post("/console/logout", roles=READERS)
async def logout(page: Page) -> web.StreamResponse:
    await page.core.sessions.end(page.request.cookies.get(COOKIE))
    response = web.Response(status=303, headers={"Location": "/console/login"})
    forget_cookie(response, COOKIE)
    return response


@routes.get("/console/set-password/{secret}", roles=PUBLIC)
async def password_page(page: Page) -> web.StreamResponse:
    now = page.core.services.clock()
    found = await page.run(lambda db: link_holder(db, page.match("secret"), now))
    if found is None:
        return page.error(410, "console.link_invalid")
    return _public_form(page, "set_password.html", person=found[1], errors={}, least=PASSWORD_MIN)


@routes.post("/console/set-password/{secret}", roles=PUBLIC)
async def password_set(page: Page) -> web.StreamResponse:
    now = page.core.services.clock()
    secret = page.match("secret")
    found = await page.run(lambda db: link_holder(db, secret, now))
    if found is None:
        return page.error(410, "console.link_invalid")
    password = str(page.form.get("password", ""))
    errors: dict[str, str] = {}
    if (problem := password_problem(password)) is not None:
        errors["password"] = page.t(problem.key, **problem.params)
    elif password != page.form.get("confirm", ""):
        errors["confirm"] = page.t("console.password_mismatch")
    if errors:
        return _public_form(
            page,
            "set_password.html",
            status=400,
            person=found[1],
            errors=errors,
            least=PASSWORD_MIN,
        )

    async def save(db: Repos) -> Member | None:
        again = await link_holder(db, secret, now)
        if again is None or not await use_link(db, again[0], now):
            return None
        await set_password(db, again[1], password, actor=actor(again[1]))
        return again[1]

    member = await page.run(save)
    if member is None:
        return page.error(410, "console.link_invalid")
    return await _start(page, member, "/console", note=page.t("console.password_set"))


@routes.get("/console/lang/{code}", roles=PUBLIC)
async def language(page: Page) -> web.StreamResponse:
    code = page.match("code")
    response = web.Response(
        status=303, headers={"Location": safe_next(page.request.query.get("next", ""))}
    )
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, path="/console",
                            httponly=True, samesite="Lax", secure=page.secure)  # fmt: skip
    return response
