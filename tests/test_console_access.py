"""Who may open what in the web console: role × page × own or other organization, denied
by default. Every route the console registers must be in the matrix below, or this fails."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from bot.console import Console
from bot.console.app import STATIC_PREFIX
from handlers.broadcasts.ops import create_broadcast
from storage.repos import Repos
from storage.types import utcnow
from tests.console_support import Browser, Site, running_site

OK, LOGIN, DENY, GONE = "ok", "login", "deny", "gone"
ADMIN = {"admin": OK}
READERS = {"admin": OK, "leader": OK, "supervisor": OK}
OFFICE = {"admin": OK, "leader": OK}
AUDITORS = {"admin": OK, "supervisor": OK}
EVERYONE_LOGIN = {"anon": LOGIN, "admin": LOGIN, "leader": LOGIN, "supervisor": LOGIN}
ITEM = MEMBER = ID = r"{id:\d{1,9}}"
KINDS = {"members": "member", "invites": "invite", "sessions": "session", "deadlines": "deadline",
         "surveys": "survey", "orgs": "org", "bulletins": "bulletin", "ledger": "item",
         "broadcasts": "broadcast"}  # fmt: skip
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
    ("GET", f"/console/members/{MEMBER}"): ADMIN,
    ("POST", f"/console/members/{MEMBER}/invite"): ADMIN,
    ("POST", f"/console/invites/{ID}/revoke"): ADMIN,
    ("GET", "/console/calendar"): READERS,
    ("GET", "/console/sessions/new"): ADMIN,
    ("POST", "/console/sessions/new"): ADMIN,
    ("GET", f"/console/sessions/{ID}"): READERS,
    ("GET", f"/console/sessions/{ID}/edit"): ADMIN,
    ("POST", f"/console/sessions/{ID}/edit"): ADMIN,
    ("GET", f"/console/sessions/{ID}/code"): ADMIN,
    ("GET", f"/console/sessions/{ID}/code.json"): ADMIN,
    ("GET", f"/console/sessions/{ID}/attendance.xlsx"): READERS,
    ("POST", f"/console/sessions/{ID}/cancel"): ADMIN,
    ("GET", "/console/deadlines/new"): ADMIN,
    ("POST", "/console/deadlines/new"): ADMIN,
    ("GET", f"/console/deadlines/{ID}"): READERS,
    ("GET", f"/console/deadlines/{ID}/export.xlsx"): READERS,
    ("POST", f"/console/deadlines/{ID}/cancel"): ADMIN,
    ("GET", "/console/surveys"): AUDITORS,
    ("POST", "/console/surveys"): ADMIN,
    ("GET", f"/console/surveys/{ID}"): AUDITORS,
    ("GET", f"/console/surveys/{ID}/export.xlsx"): AUDITORS,
    ("POST", f"/console/surveys/{ID}/close"): ADMIN,
    ("POST", f"/console/surveys/{ID}/open-early"): ADMIN,
    ("GET", "/console/surveys/new"): ADMIN,
    ("POST", "/console/surveys/new"): ADMIN,
    ("GET", f"/console/surveys/{ID}/edit"): ADMIN,
    ("POST", f"/console/surveys/{ID}/edit"): ADMIN,
    ("GET", f"/console/surveys/{ID}/preview"): AUDITORS,
    ("POST", f"/console/surveys/{ID}/open"): ADMIN,
    ("GET", "/console/orgs"): READERS,
    ("POST", "/console/orgs"): ADMIN,
    ("GET", f"/console/orgs/{ID}"): READERS,
    ("POST", f"/console/orgs/{ID}/stages"): ADMIN,
    ("POST", f"/console/orgs/{ID}/settings"): ADMIN,
    ("GET", "/console/bulletins"): READERS,
    ("POST", "/console/bulletins/compile"): ADMIN,
    ("GET", f"/console/bulletins/{ID}"): READERS,
    ("POST", f"/console/bulletins/{ID}/publish"): ADMIN,
    ("GET", f"/console/bulletins/{ID}/bulletin.pdf"): READERS,
    ("GET", f"/console/bulletins/{ID}/bulletin.xlsx"): READERS,
    ("GET", "/console/broadcasts"): READERS,
    ("GET", "/console/broadcasts/new"): ADMIN,
    ("POST", "/console/broadcasts/new"): ADMIN,
    ("GET", "/console/broadcasts/audience.json"): ADMIN,
    ("GET", f"/console/broadcasts/{ID}"): READERS,
    ("GET", f"/console/broadcasts/{ID}/progress.json"): READERS,
    ("POST", f"/console/broadcasts/{ID}/cancel"): ADMIN,
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
        orgs = {"own": found.orgs["unit"], "other": found.orgs["other"]}
        found.refs.update(await found.run(lambda db: _broadcasts(db, orgs)))
        yield found


async def _broadcasts(db: Repos, orgs: dict[str, int]) -> dict[str, int]:
    """A broadcast scheduled in each organization, for the pages about one."""
    found = {}
    for scope, org_id in orgs.items():
        made = await create_broadcast(db, org_id=org_id, text=f"{scope} 广播",
                                      roles=[], send_at=utcnow() + timedelta(days=2),
                                      now=utcnow(), actor="test")  # fmt: skip
        found[f"{scope}_broadcast"] = made.id or 0
    return found


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
            return str(site.refs[f"{scope}_{KINDS[path.split('/')[2]]}"])
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
    month = f"/console/calendar?month={utcnow() + timedelta(days=2):%Y-%m}"
    lists = ("/console/ledger", "/console/opinions?show=all", "/console/problems", month,
             "/console/surveys", "/console/bulletins", "/console/orgs")  # fmt: skip
    for viewer in ("admin", "supervisor", "other_admin", "leader"):
        browser = Browser(site)
        try:
            assert await browser.login(viewer) == 303
            pages[viewer] = {path: (await browser.get(path))[1] for path in lists}
        finally:
            await browser.close()
    for path, words in ((month, "的集中学习"), ("/console/surveys", "的测评"),
                        ("/console/bulletins", "/console/bulletins/")):  # fmt: skip
        for viewer, scope in (("admin", "own"), ("supervisor", "own"), ("other_admin", "other")):
            mine, theirs = ("本单位", "外单位") if scope == "own" else ("外单位", "本单位")
            if words.startswith("/"):
                found = re.findall(r'href="/console/bulletins/(\d+)"', pages[viewer][path])
                other = "other" if scope == "own" else "own"
                assert str(site.refs[f"{scope}_bulletin"]) in found, (viewer, path)
                assert str(site.refs[f"{other}_bulletin"]) not in found, (viewer, path)
                continue
            assert mine + words in pages[viewer][path], (viewer, path)
            assert theirs + words not in pages[viewer][path], (viewer, path)
    assert "外县审计局" not in pages["admin"]["/console/orgs"]
    assert "临江县规划局" in pages["supervisor"]["/console/orgs"]  # the county's tree
    own, other = "会议多、文件多", "外单位的整改事项"
    assert own in pages["admin"]["/console/ledger"]
    assert other not in pages["admin"]["/console/ledger"]
    assert own in pages["supervisor"]["/console/ledger"]  # the county's supervisor: its subtree
    assert other not in pages["supervisor"]["/console/ledger"]
    assert other in pages["other_admin"]["/console/ledger"]
    assert own not in pages["other_admin"]["/console/ledger"]
    other_link = f'href="/console/opinions/{site.refs["other_opinion"]}"'  # ("n5" alone: in tokens)
    assert other_link not in pages["admin"]["/console/opinions?show=all"]
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
