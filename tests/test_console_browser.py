"""The web console end to end in a real headless Chromium (Debian's /usr/bin/chromium, never
a downloaded one): log in, see the dashboard's charts, answer an opinion from the inbox,
create a ledger item after a validation error, and use it on a phone in English.
One browser and one demo site for the module; a fresh browser context per test. With
MASSLINE_SCREENSHOTS=1 it also refreshes docs/screenshots/console-*.png."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.console_support import PASSWORD, PEOPLE, Site, running_site

playwright_api = pytest.importorskip("playwright.async_api")
async_playwright, expect = playwright_api.async_playwright, playwright_api.expect

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium (apt-get install chromium); these tests never download one",
    ),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with running_site(tmp_path_factory.mktemp("console")) as found:
        yield found


async def open_page(browser: Any, site: Site, viewport: dict[str, int]) -> Any:
    context = await browser.new_context(
        base_url=site.url, viewport=viewport, locale="zh-CN", is_mobile=viewport == PHONE
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    return page


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Any, site: Site) -> AsyncIterator[Any]:
    tab = await open_page(browser, site, DESKTOP)
    yield tab
    await tab.context.close()
    assert not tab.errors, tab.errors


async def log_in(page: Any, who: str = "admin", start: str = "/console") -> None:
    """Open a page, be sent to log in, and come back to it."""
    await page.goto(start)
    await expect(page.locator("h1")).to_have_text("登录控制台")
    await page.locator("input[name=name]").fill(PEOPLE[who][2])
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("button.primary").click()
    await page.wait_for_url(f"**{start}")


async def screenshot(page: Any, name: str) -> None:
    if os.environ.get("MASSLINE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


async def test_login_and_the_dashboards_charts(page: Any) -> None:
    await log_in(page)
    await expect(page.locator("h1")).to_have_text("总览")
    charts = page.locator("svg.chart")
    await expect(charts).to_have_count(2)
    await expect(charts.first).to_be_visible()
    assert await charts.first.get_attribute("aria-label") == "各类意见的收到、答复和超期情况"
    assert await charts.first.locator("rect").count() >= 6
    await expect(page.locator("#stage")).to_contain_text("学习教育、听取意见")
    await expect(page.locator("#ledger")).to_contain_text("已超期")
    await expect(page.locator("#study")).to_contain_text("%")
    await screenshot(page, "console-dashboard.png")


async def test_triage_an_opinion_by_replying(page: Any) -> None:
    await log_in(page, start="/console/opinions")
    first = page.locator("#inbox tbody tr").first
    await expect(first).to_have_class("overdue")  # overdue ones first
    await screenshot(page, "console-inbox.png")
    await first.locator("a").click()
    await expect(page.locator("#reply")).to_be_visible()
    await page.locator("#reply button[type=submit]").click()  # empty: refused beside the field
    await expect(page.locator("#err-reply")).to_have_text("请填写内容。")
    await page.locator("#f-reply").fill("已责成相关科室在本周内答复并整改。")
    await page.locator("#reply button[type=submit]").click()
    await expect(page.locator(".note").first).to_contain_text("已答复")
    await expect(page.locator(".thread .post.office").last).to_contain_text("本周内答复并整改")
    await expect(page.locator("h1 .badge").first).to_have_text("已答复")


async def test_create_a_ledger_item_after_a_validation_error(page: Any) -> None:
    await log_in(page, start="/console/ledger")
    await page.get_by_role("link", name="新建整改事项").click()
    await page.locator("#f-content").fill("政务公开栏信息更新不及时")
    await page.locator("#f-goal").fill("每周更新,群众随时看到最新办事信息")
    deadline = (date.today() + timedelta(days=45)).isoformat()
    await page.locator("#f-deadline").fill(deadline)
    await page.locator("#f-leader").select_option(label="林秀英 · 党组成员、副局长")
    await page.locator("#f-person").select_option(label="马超 · 办公室主任")
    await page.locator("#item-form button[type=submit]").click()
    await expect(page.locator("#err-measures")).to_have_text("请填写整改措施。")
    await expect(page.locator("#f-measures")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-content")).to_have_value("政务公开栏信息更新不及时")
    await expect(page.locator("#f-deadline")).to_have_value(deadline)
    await page.locator("#f-measures").fill("明确专人负责;每周五更新;纳入月通报")
    await page.locator("#item-form button[type=submit]").click()
    await expect(page.locator(".note").first).to_contain_text("已建立")
    await expect(page.locator("h1")).to_contain_text("整改事项 #")
    await page.get_by_role("link", name="整改台帐").first.click()
    await expect(page.locator("#items")).to_contain_text("政务公开栏信息更新不及时")
    await screenshot(page, "console-ledger.png")


async def test_on_a_phone_in_english(browser: Any, site: Site) -> None:
    page = await open_page(browser, site, PHONE)
    try:
        await log_in(page, who="supervisor")
        await page.get_by_role("link", name="English").click()
        await expect(page.locator("nav.main a").first).to_have_text("Overview")
        await expect(page.locator("h1")).to_have_text("Overview")
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width  # nothing wider than the screen
        await page.locator("nav.main").get_by_text("Ledger").click()
        await expect(page.locator("#items td[data-label='Deadline']").first).to_be_visible()
        assert await page.locator("a", has_text="New ledger item").count() == 0  # read-only
    finally:
        await page.context.close()
    assert not page.errors, page.errors
