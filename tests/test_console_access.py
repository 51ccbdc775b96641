"""Who may open what in the web console: role × page × own or other organization, denied
by default. Every route the console registers must be in the matrix below, or this fails."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.console import Console
from bot.console.app import STATIC_PREFIX
from tests.console_support import Browser, Site, running_site

OK, LOGIN, DENY, GONE = "ok", "login", "deny", "gone"
ADMIN = {"admin": OK}
READERS = {"admin": OK, "leader": OK, "supervisor": OK}
OFFICE = {"admin": OK, "leader": OK}
AUDITORS = {"admin": OK, "supervisor": OK}
EVERYONE_LOGIN = {"anon": LOGIN, "admin": LOGIN, "leader": LOGIN, "supervisor": LOGIN}
ITEM, MEMBER = r"{id:\d{1,9}}", r"{id:\d{1,9}}"
# (method, path as registered) → who may (anyone else: denied; no session: to login).
MATRIX: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/console/login"): {"anon": OK, "*": OK},
    ("POST", "/console/login"): {"anon": OK, "*": OK},
    ("GET", "/console/set-password/{secret}"): {"anon": GONE, "*": GONE},
    ("POST", "/console/set-password/{secret}"): {"anon": GONE, "*": GONE},
    ("GET", "/console/lang/{code}"): {"anon": OK, "*": OK},
    ("GET", "/console"): READERS,
    ("GET", "/console/opinions"): READERS,
    ("GET", "/console/opinions/{ref}"): READERS,
    ("POST", "/console/opinions/{ref}/reply"): OFFICE,
    ("POST", "/console/opinions/{ref}/close"): OFFICE,
    ("POST", "/console/opinions/{ref}/assign"): ADMIN,
    ("POST", "/console/opinions/{ref}/category"): ADMIN,
    ("POST", "/console/opinions/{ref}/merge"): ADMIN,
    ("GET", "/console/problems"): READERS,
    ("GET", "/console/ledger"): READERS,
    ("GET", "/console/ledger/export.xlsx"): READERS,
    ("GET", "/console/ledger/export.csv"): READERS,
    ("GET", f"/console/ledger/{ITEM}"): READERS,
    ("POST", f"/console/ledger/{ITEM}/approve"): OFFICE,
    ("POST", f"/console/ledger/{ITEM}/return"): OFFICE,
    ("POST", f"/console/ledger/{ITEM}/reopen"): ADMIN,
    ("GET", "/console/ledger/new"): ADMIN,
    ("POST", "/console/ledger/new"): ADMIN,
    ("GET", f"/console/ledger/{ITEM}/edit"): ADMIN,
    ("POST", f"/console/ledger/{ITEM}/edit"): ADMIN,
    ("GET", "/console/members"): ADMIN,
    ("POST", "/console/invites"): ADMIN,
    ("POST", "/console/members/import"): ADMIN,
    ("POST", f"/console/members/{MEMBER}/deactivate"): ADMIN,
    ("GET", "/console/audit"): AUDITORS,
    ("POST", "/console/logout"): EVERYONE_LOGIN,  # run last: it ends the session
}
VIEWERS = ("anon", "admin", "leader", "supervisor")
PUBLIC_POSTS = {("POST", "/console/login"), ("POST", "/console/set-password/{secret}")}


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    """One site for the module; the matrix, which deactivates and logs out, runs last."""
    async with running_site(tmp_path_factory.mktemp("console")) as found:
        yield found


async def test_every_console_route_is_in_the_matrix() -> None:
    registered = {(r.method, r.path) for r in Console.__new__(Console).routes}
    assert registered - MATRIX.keys() == set(), "routes missing from the access matrix"
    assert MATRIX.keys() - registered == set(), "matrix rows for routes that do not exist"


def expected(key: tuple[str, str], viewer: str, scope: str) -> str:
    rule = MATRIX[key]
    if viewer in rule:
        found = rule[viewer]
    elif "*" in rule:
        found = rule["*"]
    else:
        found = LOGIN if viewer == "anon" else DENY
    resource = re.search(r"\{(ref|id)", key[1]) is not None
    if found == OK and resource and scope == "other":
        return GONE  # another organization's opinion, item or member: as if it did not exist
    return found


def fill(path: str, site: Site, scope: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "ref":
            return str(site.refs[f"{scope}_opinion"])
        if name == "id":
            kind = "member" if path.startswith("/console/members/") else "item"
            return str(site.refs[f"{scope}_{kind}"])
        return {"secret": "x" * 43, "code": "en"}[name]

    return re.sub(r"\{(\w+)(?::[^}]*\})?\}?", value, path)


def outcome(status: int, location: str) -> str:
    if status == 303 and location.startswith("/console/login"):
        return LOGIN
    if status == 403:
        return DENY
    if status in (404, 410):
        return GONE
    assert status in (200, 303, 400, 401, 409, 429), status
    return OK


async def _request(browser: Browser, key: tuple[str, str], path: str) -> tuple[int, str]:
    method, saved = key[0], browser.csrf  # a login form's token lives in its own cookie
    if method == "GET":
        status, _, response = await browser.get(path)
    elif key in PUBLIC_POSTS:
        await browser.get("/console/login")
        status, _, response = await browser.post(path, {"name": "", "password": "x"})
    else:
        status, _, response = await browser.post(path, {})
    if MATRIX[key].get("*"):
        browser.csrf = saved
    return status, response.headers.get("Location", "")


async def test_static_files_need_no_login(site: Site) -> None:
    browser = Browser(site)
    try:
        for name in ("console.css", "console.js"):
            status, _, _ = await browser.get(STATIC_PREFIX + name)
            assert status == 200
        status, _, _ = await browser.get(STATIC_PREFIX + "../app.py")
        assert status in (403, 404)
    finally:
        await browser.close()


async def test_lists_show_only_the_viewers_organizations(site: Site) -> None:
    pages: dict[str, dict[str, str]] = {}
    for viewer in ("admin", "supervisor", "other_admin", "leader"):
        browser = Browser(site)
        try:
            assert await browser.login(viewer) == 303
            pages[viewer] = {
                path: (await browser.get(path))[1]
                for path in ("/console/ledger", "/console/opinions?show=all", "/console/problems")
            }
        finally:
            await browser.close()
    own, other = "会议多、文件多", "外单位的整改事项"
    assert own in pages["admin"]["/console/ledger"]
    assert other not in pages["admin"]["/console/ledger"]
    assert own in pages["supervisor"]["/console/ledger"]  # the county's supervisor: its subtree
    assert other not in pages["supervisor"]["/console/ledger"]
    assert other in pages["other_admin"]["/console/ledger"]
    assert own not in pages["other_admin"]["/console/ledger"]
    assert site.refs["other_opinion"] not in pages["admin"]["/console/opinions?show=all"]
    assert "文山会海" not in pages["other_admin"]["/console/problems"]
    inbox: Any = pages["leader"]["/console/opinions?show=all"]
    assert inbox.count('href="/console/opinions/') == 1  # only what is assigned to them


async def test_role_page_organization_matrix(site: Site) -> None:
    browsers: dict[str, Browser] = {}
    for viewer in VIEWERS:
        browsers[viewer] = Browser(site)
        if viewer != "anon":
            assert await browsers[viewer].login(viewer) == 303
    wrong: list[str] = []
    order = sorted(MATRIX, key=lambda k: k[1] == "/console/logout")
    try:
        for key in order:
            for viewer in VIEWERS:
                resource = re.search(r"\{(ref|id)", key[1]) is not None
                for scope in ("own", "other") if resource else ("own",):
                    path = fill(key[1], site, scope)
                    status, location = await _request(browsers[viewer], key, path)
                    want, got = expected(key, viewer, scope), outcome(status, location)
                    if got != want:
                        wrong.append(f"{viewer:10} {key[0]} {path} ({scope}): {got} ≠ {want}")
        for viewer in VIEWERS[1:]:  # logged out now
            status, _, response = await browsers[viewer].get("/console")
            assert outcome(status, response.headers.get("Location", "")) == LOGIN
    finally:
        for browser in browsers.values():
            await browser.close()
    assert not wrong, "\n".join(wrong)
