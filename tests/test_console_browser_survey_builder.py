"""The custom-survey builder in a real headless Chromium (Debian's /usr/bin/chromium): four
questions of the four kinds written through the page after a refused option list, the
options box shown only for choice kinds, the draft previewed and then opened; and the
editor's buttons working with JavaScript off. With MASSLINE_SCREENSHOTS=1 it also
refreshes docs/screenshots/console-survey-builder.png."""

from __future__ import annotations

from typing import Any

from storage.examine_models import SurveyStatus
from tests import test_console_browser as shared
from tests.console_support import Site
from tests.test_console_browser import DESKTOP, expect, log_in, screenshot

browser, site, page, pytestmark = shared.browser, shared.site, shared.page, shared.pytestmark


async def write(page: Any, n: int, kind: str, text: str, options: str = "") -> None:
    await page.locator(f"#f-q{n}_text").fill(text)
    await page.locator(f"#f-q{n}_kind").select_option(kind)
    if options:
        await page.locator(f"#f-q{n}_options").fill(options)


async def test_a_four_question_survey_built_previewed_and_opened(page: Any, site: Site) -> None:
    await log_in(page, start="/console/surveys")
    await page.locator("#new-custom").click()
    await expect(page.locator("h1")).to_have_text("新建测评(自拟题目)")
    await page.locator("#f-title").fill("机关作风群众满意度调查")
    await page.locator("#f-closes").fill("下周五18点")
    await write(page, 1, "single", "窗口服务态度怎么样?", "很好")
    for n, (kind, text, options) in enumerate(
        [("multi", "哪些方面改进最明显?", "审批提速\n会议精简\n文件减少"),
         ("rating", "给干部作风转变打个分", ""), ("text", "还有什么意见建议?", "")], start=2,
    ):  # fmt: skip
        await page.locator("#add-question").click()
        await expect(page.locator(f"#q{n}")).to_be_visible()
        await write(page, n, kind, text, options)
    await expect(page.locator("#q3 [data-options]")).to_be_hidden()  # no options for a rating
    await expect(page.locator("#q2 [data-options]")).to_be_visible()
    await page.locator("#q4 input[name=q4_required]").uncheck()
    await page.locator("#save-draft").click()
    await expect(page.locator("#err-q1_options")).to_contain_text("至少要有 2 个选项")
    await expect(page.locator("#f-q1_options")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#f-q2_options")).to_have_value("审批提速\n会议精简\n文件减少")
    await expect(page.locator("#f-q4_text")).to_have_value("还有什么意见建议?")
    await expect(page.locator("#q4 input[name=q4_required]")).not_to_be_checked()
    await page.locator("#f-q1_options").fill("很好\n较好\n一般\n较差")
    await page.locator("#save-draft").click()
    await expect(page.locator(".note").first).to_contain_text("草稿已保存")
    await page.locator("#edit-draft").click()  # the draft reads back as it was written
    await expect(page.locator("h1")).to_have_text("修改测评草稿")
    await expect(page.locator(".question-edit")).to_have_count(4)
    await expect(page.locator("#f-q1_options")).to_have_value("很好\n较好\n一般\n较差")
    await screenshot(page, "console-survey-builder.png")
    await page.locator("#save-draft").click()
    preview = page.locator("#preview > li")
    await expect(preview).to_have_count(4)
    await expect(preview.nth(3)).to_contain_text("可不答")
    await expect(preview.nth(2)).to_contain_text("1 最差,5 最好")
    number = int(page.url.split("/")[-2])
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator("#open-draft button").click()
    await expect(page.locator(".note").first).to_contain_text("测评已发起")
    await expect(page.locator("#sealed")).to_be_visible()
    survey = await site.run(lambda db: db.surveys.get(number))
    assert survey.status == SurveyStatus.open and survey.template == "custom"
    questions = await site.run(lambda db: db.surveys.questions(number))
    assert [q.kind for q in questions] == ["single", "multi", "rating", "text"]
    assert questions[0].options == ["很好", "较好", "一般", "较差"] and not questions[3].required


async def test_the_editor_without_javascript(browser: Any, site: Site) -> None:
    context = await browser.new_context(base_url=site.url, viewport=DESKTOP, locale="zh-CN",
                                        java_script_enabled=False)  # fmt: skip
    try:
        tab = await context.new_page()
        await log_in(tab, start="/console/surveys/new")
        await write(tab, 1, "rating", "给窗口服务打个分")
        await expect(tab.locator("#q1 [data-options]")).to_be_visible()  # nothing hides it
        await tab.locator("#add-question").click()
        await write(tab, 2, "text", "还有什么建议?")
        await tab.locator("#q2 button[value=up-2]").click()
        await expect(tab.locator("#f-q1_text")).to_have_value("还有什么建议?")
        await expect(tab.locator("#f-q2_kind")).to_have_value("rating")
        await tab.locator("#q1 button[value=remove-1]").click()
        await expect(tab.locator(".question-edit")).to_have_count(1)
        await expect(tab.locator("#f-q1_text")).to_have_value("给窗口服务打个分")
    finally:
        await context.close()
