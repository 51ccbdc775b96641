"""A broadcast from the console, end to end in a real headless Chromium (Debian's
/usr/bin/chromium) against the whole service and the fake Bot API server: log in, write
a broadcast, tick the audience and see the count it reaches, be refused beside a field
with what was typed kept, send it now, watch the progress bar move to the end, and read
the delivery report — delivered, blocked the bot, failed — while the fake Telegram holds
every member's message exactly once. With MASSLINE_SCREENSHOTS=1 it also refreshes
docs/screenshots/console-broadcast.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from handlers.console_ops.logins import console_user
from storage.models import Role
from storage.repos import Repos
from tests import test_console_browser as shared
from tests.console_support import PASSWORD, PEOPLE, Site
from tests.telegram_fixtures import Service
from tests.test_console_browser import DESKTOP, expect, log_in, open_page, screenshot
from tests.test_delivery_support import open_chats, received, seed_members, serving

# One Chromium for the module (the first browser module's fixture, used here by name).
browser, pytestmark = shared.browser, shared.pytestmark
MEMBERS = 80
RATE = 20  # messages a second: four seconds of sending, so the bar is seen moving
TEXT = "请各支部于本周五前报送学习心得。"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Service]:
    async with serving(Path(tmp_path_factory.mktemp("broadcast")), send_rate=RATE) as found:
        office = PEOPLE["admin"][2]

        async def account(db: Repos) -> None:
            await console_user(db, found.org_id, Role.admin, office, PASSWORD, actor="test")

        await found.db.run(lambda session: account(Repos(session)))
        yield found


async def test_a_broadcast_composed_sent_and_watched_to_the_end(
    browser: Any, service: Service
) -> None:
    chats = list((await seed_members(service.db, service.org_id, MEMBERS)).values())
    blocked, gone = chats[0], chats[1]  # one blocked the bot; one chat Telegram never had
    open_chats(service.fake, [c for c in chats if c != gone])
    service.fake.block(blocked)
    page = await open_page(browser, Site(service.url, service.app, {}, {}, {}), DESKTOP)
    answers: list[dict[str, Any]] = []

    async def keep(response: Any) -> None:
        if response.url.endswith("/progress.json"):
            answers.append(await response.json())

    page.on("response", keep)
    try:
        await log_in(page, start="/console/broadcasts")
        await page.locator("nav.main").get_by_text("广播").click()
        await page.get_by_role("link", name="写广播").click()
        await page.locator("#f-text").fill(TEXT)
        reach = page.locator("#reach")
        await expect(reach).to_contain_text(f"将发给 {MEMBERS + 1} 人")  # everyone, the office too
        await expect(page.locator("#preview-button")).to_be_hidden()  # the ticks count instead
        async with page.expect_response("**/audience.json?roles=member"):
            await page.get_by_label("党员群众").check()
        await expect(reach).to_have_text(
            f"将发给 {MEMBERS} 人,其中 {MEMBERS} 人已绑定聊天账号、能收到。"
        )
        await page.get_by_label("定时发送").check()
        await page.locator("#send-button").click()  # no time written: refused beside it
        await expect(page.locator("#err-at")).to_have_text("请填写发送时间。")
        await expect(page.locator("#f-at")).to_have_attribute("aria-invalid", "true")
        await expect(page.locator("#f-text")).to_have_value(TEXT)
        await expect(page.get_by_label("党员群众")).to_be_checked()
        await page.get_by_label("现在发送").check()
        await page.locator("#send-button").click()
        await expect(page.locator(".note").first).to_contain_text(f"开始发送,共 {MEMBERS} 条")
        bar = page.locator("#progress-bar")
        await expect(bar).to_have_attribute("max", str(MEMBERS))
        await expect(page.locator("#report-done")).to_be_visible(
            timeout=MEMBERS / RATE * 1000 + 20_000
        )
        assert await bar.evaluate("bar => [bar.value, bar.max]") == [MEMBERS, MEMBERS]
        await expect(page.locator("#progress-label")).to_have_text(f"已发送 {MEMBERS} / {MEMBERS}")
        figures = page.locator("#report")
        await expect(figures.locator("[data-figure=sent]")).to_have_text(str(MEMBERS - 2))
        await expect(figures.locator("[data-figure=blocked]")).to_have_text("1")
        await expect(figures.locator("[data-figure=failed]")).to_have_text("1")
        await expect(figures.locator("[data-figure=queued]")).to_have_text("0")
        await expect(page.locator("#status")).to_have_text("已发完")
        await expect(page.locator("#cancel-broadcast")).to_be_hidden()  # nothing left to cancel
        moving = [a["done"] for a in answers if 0 < a["done"] < a["total"]]
        assert moving, answers  # the bar was seen part way, not only empty and full
        assert [a["done"] for a in answers] == sorted(a["done"] for a in answers)
        await screenshot(page, "console-broadcast.png")
        await page.reload()  # the report as the server renders it, without polling
        await expect(page.locator("#report [data-figure=sent]")).to_have_text(str(MEMBERS - 2))
        await expect(page.locator("#cancel-broadcast")).to_have_count(0)
    finally:
        await page.context.close()
    assert not page.errors, page.errors
    got = received(service.fake, [c for c in chats if c != gone], TEXT)
    assert set(got.values()) == {1} and len(got) == MEMBERS - 2  # each once
    assert blocked not in got and gone not in service.fake.chats
