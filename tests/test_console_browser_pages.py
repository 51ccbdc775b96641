"""The console's second slice in a real headless Chromium (Debian's /usr/bin/chromium):
a study session scheduled with a typed time after a validation error, the check-in code
page refreshing itself, a survey opened and its results withheld below k, the stage
calendar edited, and the monthly bulletin printed to PDF through its print CSS. With
MASSLINE_SCREENSHOTS=1 it also refreshes docs/screenshots/console-{calendar,survey}.png."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from handlers.study.checkin import code_at
from storage.repos import Repos
from storage.study_models import StudySession
from storage.types import utcnow
from tests import test_console_browser as shared
from tests.console_support import Site
from tests.test_console_browser import PHONE, expect, log_in, open_page, screenshot
from tests.test_console_surveys import answer

# One Chromium and one demo site for the module, a fresh context per test: the fixtures of
# the first browser module, used here by name.
browser, site, page, pytestmark = shared.browser, shared.site, shared.page, shared.pytestmark


async def test_a_session_scheduled_with_a_typed_time(page: Any, site: Site, browser: Any) -> None:
    await log_in(page, start="/console/calendar")
    await expect(page.locator("h1")).to_have_text("学习日程")
    await page.get_by_role("link", name="安排集中学习").click()
    await page.locator("#f-title").fill("专题研讨:践行群众路线")
    await page.locator("#f-when").fill("明天下午")
    await page.locator("#f-place").fill("三楼大会议室")
    await page.locator("#session-form button[type=submit]").click()
    await expect(page.locator("#err-when")).to_contain_text("请写明几点")
    await expect(page.locator("#f-when")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-title")).to_have_value("专题研讨:践行群众路线")
    await page.locator("#f-when").fill("明天下午3点到5点")
    await page.locator("#session-form button[type=submit]").click()
    await expect(page.locator(".note").first).to_contain_text("已安排")
    await expect(page.locator("h1")).to_contain_text("专题研讨:践行群众路线")
    await expect(page.locator("#session-facts")).to_contain_text("15:00")
    month = f"{date.today() + timedelta(days=1):%Y-%m}"
    await page.goto(f"/console/calendar?month={month}")
    await expect(page.locator("#calendar")).to_contain_text("专题研讨:践行群众路线")
    await screenshot(page, "console-calendar.png")
    phone = await open_page(browser, site, PHONE)
    try:
        await log_in(phone, start=f"/console/calendar?month={month}")
        event = phone.locator("#calendar a.event", has_text="专题研讨:践行群众路线")
        await expect(event).to_be_visible()
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width  # the month becomes a list of busy days
    finally:
        await phone.context.close()
    assert not phone.errors, phone.errors


async def test_the_check_in_code_for_the_projector(page: Any, site: Site) -> None:
    async def running(db: Repos) -> StudySession:
        now = utcnow()
        return await db.study.add(StudySession(
            org_id=site.orgs["unit"], title="集中学习:正在签到", checkin_secret="c" * 64,
            starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(hours=2)))  # fmt: skip

    session = await site.run(running)
    await page.clock.install()
    await log_in(page, start=f"/console/sessions/{session.id}/code")
    code = page.locator(".code-big")
    await expect(code).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    now = utcnow()
    allowed = {f"{c[:3]} {c[3:]}" for c in (code_at("c" * 64, now), code_at("c" * 64, now, 1))}
    assert await code.text_content() in allowed
    async with page.expect_response("**/code.json") as answered:
        await page.clock.run_for(31_000)  # the page asks again every 30 s
    assert (await (await answered.value).json())["state"] == "live"
    await expect(code).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    await expect(page.locator("#checkin")).to_have_attribute("data-state", "live")


async def test_a_survey_opened_then_its_results_withheld_below_k(page: Any, site: Site) -> None:
    await log_in(page, start="/console/surveys")
    await page.locator("#f-template").select_option("effect")
    await page.locator("#f-audience").select_option("all")
    await page.locator("#f-closes").fill("下周五18点")
    await page.locator("#survey-form button[type=submit]").click()
    await expect(page.locator(".note").first).to_contain_text("测评已发起")
    await expect(page.locator("#sealed")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator("#open-early button").click()
    await expect(page.locator("#withheld")).to_contain_text("少于 5 份")
    number = int(page.url.rsplit("/", 1)[1])
    members = await site.run(lambda db: db.members.in_org(site.orgs["unit"]))
    await answer(site, number, [m.id for m in members[:7]])
    await page.reload()
    await expect(page.locator("#results svg.chart")).to_have_count(3)
    await expect(page.locator("#responses")).to_have_text("7")
    await screenshot(page, "console-survey.png")


async def test_the_stage_calendar_edited(page: Any, site: Site) -> None:
    await log_in(page, start=f"/console/orgs/{site.orgs['unit']}")
    starts = date.fromisoformat(await page.locator("#f-rectify_from").input_value())
    await page.locator("#f-rectify_to").fill((starts - timedelta(days=1)).isoformat())
    await page.locator("#stage-form button[type=submit]").click()
    await expect(page.locator("#err-rectify_to")).to_contain_text("不能早于开始")
    ends = (starts + timedelta(days=200)).isoformat()
    await page.locator("#f-rectify_to").fill(ends)
    await page.locator("#stage-form button[type=submit]").click()
    await expect(page.locator(".note").first).to_contain_text("已保存:整改落实、建章立制")
    await expect(page.locator("#f-rectify_to")).to_have_value(ends)


async def test_the_bulletin_printed_to_pdf(page: Any) -> None:
    await log_in(page, start="/console/bulletins")
    await page.locator("#compile button").click()
    await expect(page.locator(".note").first).to_contain_text("月通报已编制")
    chart = page.locator("#bulletin img")
    await expect(chart).to_be_visible()
    await page.emulate_media(media="print")
    await expect(page.locator("nav.main")).to_be_hidden()
    await expect(page.locator("#bulletin-actions")).to_be_hidden()
    await expect(chart).to_be_visible()
    pdf = await page.pdf(format="A4")
    assert pdf[:5] == b"%PDF-" and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 1
