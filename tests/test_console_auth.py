"""Console logins: CSRF on every POST, a new session id at every login, failed logins
limited, an expired session back to login and then to the page, the one-time password
link from chat, deactivation ending a session."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie

import pytest
import pytest_asyncio
from sqlmodel import update
from yarl import URL

from bot.app import DATABASE, DISPATCHER
from bot.console.auth import COOKIE
from handlers import console_link
from handlers.console_ops.logins import console_user
from handlers.demo import demo_invites
from handlers.dispatcher import Dispatcher
from handlers.registry import FEATURES
from handlers.router import Router
from storage.console_models import ConsoleSession
from storage.repos import Repos
from tests.console_support import PASSWORD, PEOPLE, Browser, Site, running_site
from tests.transcript import Chat

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with running_site(tmp_path_factory.mktemp("console")) as found:
        yield found


@pytest_asyncio.fixture(loop_scope="module")
async def admin(site: Site) -> AsyncIterator[Browser]:
    browser = Browser(site)
    assert await browser.login("admin") == 303
    yield browser
    await browser.close()


async def _office_messages(site: Site) -> int:
    number = int(site.refs["own_opinion"][1:])

    async def count(db: Repos) -> int:
        return sum(1 for m in await db.opinions.messages(number) if m.side == "office")

    return int(await site.run(count))


async def test_a_post_needs_the_sessions_csrf_token(site: Site, admin: Browser) -> None:
    path = f"/console/opinions/{site.refs['own_opinion']}/reply"
    before = await _office_messages(site)
    token = admin.csrf
    status, body, _ = await admin.post(path, {"reply": "无令牌"}, csrf="")
    assert status == 403 and "安全令牌" in body
    status, _, _ = await admin.post(path, {"reply": "错令牌"}, csrf="x" * 43)
    assert status == 403
    status, _, _ = await admin.post(
        path, {"reply": "跨站"}, csrf=token, headers={"Origin": "http://evil.example"}
    )
    assert status == 403
    assert await _office_messages(site) == before  # nothing was written
    status, _, response = await admin.post(path, {"reply": "已转相关科室办理。"}, csrf=token)
    assert status == 303 and response.headers["Location"].endswith(site.refs["own_opinion"])
    assert await _office_messages(site) == before + 1


async def test_the_login_form_needs_its_token_too(site: Site) -> None:
    browser = Browser(site)
    try:
        status, _, _ = await browser.post("/console/login", {"name": "周敏", "password": PASSWORD})
        assert status == 403
        assert browser.cookie(COOKIE) is None
    finally:
        await browser.close()


def plant(browser: Browser, value: str) -> None:
    """Set the session cookie as an attacker would have a victim's browser carry it."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[COOKIE] = value
    cookie[COOKIE]["path"] = "/console"
    browser.http.cookie_jar.update_cookies(cookie, URL(browser.site.url + "/console"))


async def test_login_gives_a_new_session_id(site: Site) -> None:
    planted = "attacker-chosen-session-value-0123456789"
    victim, attacker = Browser(site), Browser(site)
    try:
        plant(victim, planted)
        assert await victim.login("leader") == 303
        fresh = victim.cookie(COOKIE)
        assert fresh and fresh != planted
        plant(attacker, planted)
        status, _, response = await attacker.get("/console")
        assert status == 303 and response.headers["Location"].startswith("/console/login")
        assert await victim.login("leader") == 303  # logging in again: yet another id
        assert victim.cookie(COOKIE) not in (None, fresh)
        plant(attacker, fresh)
        status, _, _ = await attacker.get("/console")
        assert status == 303  # the id before the second login no longer works
    finally:
        await victim.close()
        await attacker.close()


async def test_failed_logins_are_limited_per_name(site: Site) -> None:
    await site.run(
        lambda db: console_user(db, site.orgs["unit"], "admin", "限流测试", PASSWORD, actor="test")
    )
    browser = Browser(site)
    try:
        await browser.get("/console/login")
        for _ in range(5):
            status, body, _ = await browser.post(
                "/console/login", {"name": "限流测试", "password": "wrong-password"}
            )
            assert status == 401 and "姓名或密码不对" in body
        status, body, _ = await browser.post(
            "/console/login", {"name": "限流测试", "password": PASSWORD}
        )
        assert status == 429 and "15 分钟" in body
        assert browser.cookie(COOKIE) is None
        assert await browser.login("supervisor") == 303  # another name still gets in
    finally:
        await browser.close()


async def test_an_expired_session_goes_to_login_and_back(site: Site, admin: Browser) -> None:
    page = f"/console/ledger/{site.refs['own_item']}"
    assert (await admin.get(page))[0] == 200
    await site.run(
        lambda db: db.session.exec(
            update(ConsoleSession).values(expires_at=ConsoleSession.created_at)  # type: ignore[arg-type]
        )
    )
    status, _, response = await admin.get(page)
    assert status == 303
    where = response.headers["Location"]
    assert where.startswith("/console/login?next=%2Fconsole%2Fledger%2F") and "expired=1" in where
    status, body, _ = await admin.get(where)
    assert status == 200 and "登录已过期" in body
    assert f'value="{page}"' in body
    status, _, response = await admin.post(
        "/console/login", {"name": PEOPLE["admin"][2], "password": PASSWORD, "next": page}
    )
    assert status == 303 and response.headers["Location"] == page
    assert (await admin.get(page))[0] == 200


def _dispatcher(site: Site) -> Dispatcher:
    """The chat with the /console command, whether or not the registry has it yet."""
    features = list(FEATURES)
    if console_link.feature not in features:
        features.insert(-1, console_link.feature)
    app_dispatcher = site.app[DISPATCHER]
    router = Router(features, fallback=app_dispatcher.router.fallback,
                    menu=app_dispatcher.router.menu)  # fmt: skip
    return Dispatcher(site.app[DATABASE], app_dispatcher.services, router)


async def test_the_password_link_from_chat(site: Site) -> None:
    dispatcher = _dispatcher(site)
    codes = await site.run(demo_invites)
    member = Chat(dispatcher, user="console-member")
    await member.say(f"/start {codes['member']}")
    assert "不对你的身份开放" in await member.say("控制台")
    leader = Chat(dispatcher, user="console-leader")
    await leader.say(f"/start {codes['leader']}")
    reply = await leader.say("控制台")
    link = re.search(r"http://\S+/console/set-password/\S+", reply)
    assert link is not None and "24 小时" in reply
    assert leader.buttons()[0].url == link.group(0)
    path = link.group(0).split(site.url, 1)[1]
    browser = Browser(site)
    try:
        status, body, _ = await browser.get(path)
        assert status == 200 and "陈建国" in body
        status, body, _ = await browser.post(path, {"password": "short"})
        assert status == 400 and "10 到 128" in body
        status, body, _ = await browser.post(
            path, {"password": "new-secret-2026", "confirm": "new-secret-2027"}
        )
        assert status == 400 and "不一样" in body
        status, _, response = await browser.post(
            path, {"password": "new-secret-2026", "confirm": "new-secret-2026"}
        )
        assert status == 303 and response.headers["Location"] == "/console"
        status, body, _ = await browser.get("/console")
        assert status == 200 and "密码已设置" in body
        assert (await browser.get(path))[0] == 410  # single use
        assert await browser.login("leader") == 401  # the old password is gone
        assert await browser.login("leader", "new-secret-2026") == 303
    finally:
        await browser.close()


async def test_deactivation_ends_the_session(site: Site, admin: Browser) -> None:
    made = await site.run(
        lambda db: console_user(db, site.orgs["unit"], "leader", "临时领导", PASSWORD, actor="t")
    )
    other = Browser(site)
    try:
        await other.get("/console/login")
        status, _, _ = await other.post(
            "/console/login", {"name": "临时领导", "password": PASSWORD}
        )
        assert status == 303
        assert (await other.get("/console"))[0] == 200
        await admin.get("/console/members")
        status, _, _ = await admin.post(f"/console/members/{made[0].id}/deactivate", {})
        assert status == 303
        status, _, response = await other.get("/console")
        assert status == 303 and response.headers["Location"].startswith("/console/login")
    finally:
        await other.close()
