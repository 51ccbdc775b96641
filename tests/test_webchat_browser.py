"""The web chat end to end: the real app on a local port, driven by a real headless Chromium.

One browser for the module, a fresh context (so a fresh cookie: a new chat account) and a
fresh demo database per test. Debian's /usr/bin/chromium is used as it is; this module never
downloads a browser. With MASSLINE_SCREENSHOTS=1 it also refreshes the README screenshots
under docs/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from sqlmodel import select

from bot.app import DATABASE, DELIVERER, create_app
from config.settings import Settings
from handlers.demo import PERSONAS, seed_demo
from handlers.messages import Button, Text, to_json
from storage.models import Member, WebChatMail
from storage.repos import Repos
from tests.databases import migrated_sqlite

playwright_api = pytest.importorskip("playwright.async_api")
async_playwright, expect = playwright_api.async_playwright, playwright_api.expect

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium (apt-get install chromium); these tests never download one",
    ),
]


@dataclass
class Server:
    url: str
    app: web.Application
    invites: dict[str, str]

    async def run(self, work: Any) -> Any:
        return await self.app[DATABASE].run(work)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="module")
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    path = await migrated_sqlite(tmp_path)
    port = _free_port()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}",
        web_port=port,
        telegram_token=None,
    )
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        demo = await app[DATABASE].run(lambda s: seed_demo(Repos(s), date.today()))
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        yield Server(f"http://127.0.0.1:{port}", app, demo.invites)
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Any, server: Server) -> AsyncIterator[Any]:
    """A phone-sized page in a fresh context; fails the test on any script error."""
    context = await browser.new_context(
        base_url=server.url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    context.set_default_timeout(10_000)
    tab = await context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
    finally:
        await context.close()
    assert not errors, errors


# Helpers


def bot_bubbles(page: Any) -> Any:
    return page.locator("#log .row.bot .bubble")


def my_bubbles(page: Any) -> Any:
    return page.locator("#log .row.me .bubble")


async def say(page: Any, text: str) -> None:
    await page.locator("#input").fill(text)
    await page.locator("#input").press("Enter")


async def join_as_member(page: Any) -> None:
    await page.goto("/")
    await page.locator(".demo .chip", has_text="党员群众").click()
    await expect(bot_bubbles(page).last).to_contain_text(f"欢迎你,{PERSONAS['member']}")


async def next_poll(page: Any) -> None:
    """Move the page's fake clock on until it has polled its mailbox at least once more."""
    async with page.expect_response("**/api/chat/updates*"):
        for _ in range(5):
            await page.clock.run_for(1_000)


async def screenshot(page: Any, name: str) -> None:
    """Refresh a README screenshot, only when asked (MASSLINE_SCREENSHOTS=1)."""
    if os.environ.get("MASSLINE_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.wait_for_timeout(300)  # let the typing dots and scrolling settle
    await page.screenshot(path=str(SCREENSHOTS / name))


# Tests


async def test_stranger_sees_greeting_and_demo_picker(page: Any) -> None:
    await page.goto("/")
    await expect(bot_bubbles(page).first).to_contain_text("邀请码")
    await expect(my_bubbles(page)).to_have_count(0)  # the greeting needs no message of ours
    picker = page.locator(".demo")
    await expect(picker).to_contain_text("演示单位")
    for label in ("活动办", "领导班子成员", "干部", "党员群众"):
        await expect(picker.locator("button", has_text=label).first).to_be_visible()
    await expect(page.locator("#title")).to_have_text("群众路线助手")
    await expect(page.locator("#send")).to_have_text("发送")
    await expect(page.locator("#menu")).to_have_text("菜单")
    assert await page.locator("html").get_attribute("lang") == "zh"
    await screenshot(page, "webchat-stranger.png")


async def test_demo_persona_joins(page: Any, server: Server) -> None:
    await join_as_member(page)
    await expect(my_bubbles(page).last).to_have_text(f"/start {server.invites['member']}")
    await expect(page.locator(".demo")).to_have_count(0)  # members get no picker
    await expect(page.locator("#typing")).to_be_hidden()  # nothing is pending any more
    await expect(bot_bubbles(page).last.locator("button.chip").first).to_be_enabled()


async def test_tapping_a_button_under_a_message(page: Any) -> None:
    await join_as_member(page)
    welcome = bot_bubbles(page).nth(1)  # locators are lazy: .last would move on
    chips = welcome.locator("button.chip")
    assert await chips.count() >= 2
    label = (await chips.first.inner_text()).strip()
    await screenshot(page, "webchat-member.png")
    await chips.first.click()
    await expect(my_bubbles(page).last).to_have_text(label)
    for i in range(await chips.count()):  # one tap per set: no double answers
        await expect(chips.nth(i)).to_be_disabled()
    await expect(bot_bubbles(page)).to_have_count(3)  # greeting, welcome, the answer
    await expect(bot_bubbles(page).last).not_to_contain_text("失效")


async def test_menu_button_shows_help(page: Any) -> None:
    await join_as_member(page)
    await page.locator("#menu").click()
    await expect(my_bubbles(page).last).to_have_text("菜单")
    await expect(bot_bubbles(page).last).to_contain_text(PERSONAS["member"])
    await expect(bot_bubbles(page).last.locator("button.chip").first).to_be_visible()


async def test_lang_en_switches_the_page_chrome(page: Any) -> None:
    await page.goto("/")
    await expect(page.locator("#send")).to_have_text("发送")
    await say(page, "/lang en")
    await expect(page.locator("#send")).to_have_text("Send")
    await expect(page.locator("#input")).to_have_attribute(
        "placeholder", "Type a message, or tap Menu"
    )
    await expect(page.locator("#menu")).to_have_text("Menu")
    await expect(page.locator("#title")).to_have_text("Massline")
    await expect(page.locator(".demo .card-title")).to_have_text("Demo unit: try it as")
    assert await page.locator("html").get_attribute("lang") == "en"
    assert await page.title() == "Massline"
    await expect(page.locator("#input")).to_have_value("")


async def test_identity_and_conversation_survive_a_reload(page: Any) -> None:
    await join_as_member(page)
    count = await bot_bubbles(page).count()
    await page.reload()
    await expect(page.locator("#send")).to_have_text("发送")
    # The conversation comes back from localStorage, without a second greeting...
    await expect(bot_bubbles(page)).to_have_count(count)
    await expect(page.locator("#log")).to_contain_text(f"欢迎你,{PERSONAS['member']}")
    await expect(page.locator(".demo")).to_have_count(0)
    # ...and the server still knows who this is, from the cookie alone.
    await page.evaluate("localStorage.clear()")
    await page.reload()
    await expect(bot_bubbles(page).first).to_contain_text(PERSONAS["member"])
    await expect(page.locator(".demo")).to_have_count(0)


async def test_pushed_message_arrives_by_polling(page: Any, server: Server) -> None:
    await page.clock.install()  # the page's 4 s polling timer, moved on by the test
    await join_as_member(page)

    async def enqueue(session: Any) -> None:
        repos = Repos(session)
        query = select(Member).where(Member.name == PERSONAS["member"])
        member = (await session.exec(query)).one()
        text = Text("提醒:明天上午 9 点集中学习。", ((Button("知道了", "cmd:help"),),))
        await repos.outbox.enqueue(member.id, "test", to_json([text]))

    async def mailed(session: Any) -> bool:
        return (await session.exec(select(WebChatMail.id))).first() is not None

    await server.run(enqueue)
    server.app[DELIVERER].wake()
    for _ in range(50):  # the app's own deliverer moves it from the outbox to the mailbox
        if await server.run(mailed):
            break
        await asyncio.sleep(0.1)
    pushed = bot_bubbles(page).filter(has_text="明天上午 9 点集中学习")
    await next_poll(page)
    await expect(pushed).to_have_count(1)
    await expect(pushed.locator("button.chip")).to_have_text("知道了")
    # The mail id is remembered: a reload neither loses nor repeats the message.
    async with page.expect_response("**/api/chat/hello"):
        await page.reload()
    await next_poll(page)
    await expect(pushed).to_have_count(1)


async def test_oversized_message_gets_the_too_long_answer(page: Any) -> None:
    await page.goto("/")
    await expect(bot_bubbles(page)).to_have_count(1)
    await page.locator("#input").fill("意" * 5000)
    await page.locator("#send").click()
    await expect(bot_bubbles(page).last).to_contain_text("太长了(5000 字)")
    await expect(page.locator("#offline")).to_be_hidden()


async def test_join_link_joins_once(page: Any, server: Server) -> None:
    await page.goto(f"/?join={server.invites['cadre']}")
    await expect(bot_bubbles(page).last).to_contain_text(f"欢迎你,{PERSONAS['cadre']}")
    assert "join" not in page.url
    await page.reload()
    await expect(page.locator("#send")).to_have_text("发送")
    await page.wait_for_timeout(500)
    await expect(my_bubbles(page)).to_have_count(1)  # the code was sent once only


async def test_sign_out_forgets_the_identity(page: Any) -> None:
    await join_as_member(page)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator("#reset").click()
    await expect(page.locator(".demo")).to_be_visible()
    await expect(bot_bubbles(page)).to_have_count(1)
    await expect(bot_bubbles(page).first).not_to_contain_text(PERSONAS["member"])


async def test_unreachable_server_shows_the_offline_banner(page: Any) -> None:
    await page.goto("/")
    await expect(page.locator("#send")).to_have_text("发送")
    await page.route("**/api/chat/send", lambda route: route.abort())
    await say(page, "你好")
    await expect(page.locator("#offline")).to_be_visible()
    await expect(page.locator("#offline")).to_contain_text("连接不上服务器")
    await expect(page.locator("#log .row.me.failed")).to_have_count(1)
    await page.unroute("**/api/chat/send")
    await say(page, "你好")
    await expect(page.locator("#offline")).to_be_hidden()
    await expect(bot_bubbles(page)).to_have_count(2)


async def test_text_is_escaped_and_keeps_line_breaks(page: Any) -> None:
    await page.goto("/")
    await expect(bot_bubbles(page)).to_have_count(1)
    field = page.locator("#input")
    await field.fill("第一行")
    await field.press("Shift+Enter")  # a new line, not a send
    await field.press_sequentially("<img src=x onerror=alert(1)>")
    await expect(my_bubbles(page)).to_have_count(0)
    await field.press("Enter")
    mine = my_bubbles(page).last
    await expect(mine).to_have_text("第一行\n<img src=x onerror=alert(1)>")
    assert await mine.locator("img").count() == 0
    await expect(bot_bubbles(page)).to_have_count(2)


async def test_images_and_files_are_shown(page: Any) -> None:
    """The server's image and file replies (e.g. a bulletin's chart and spreadsheet)."""
    await page.goto("/")
    await expect(bot_bubbles(page)).to_have_count(1)
    dot = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
        "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    items = [
        {"who": "bot", "r": {"type": "image", "src": dot, "caption": "月通报 <b>图表</b>"}},
        {
            "who": "bot",
            "r": {
                "type": "file",
                "name": "整改台帐.xlsx",
                "href": "data:application/octet-stream;base64,UEsDBA==",
                "caption": "整改台帐",
            },
        },
    ]
    # Replies reach the page's log the same way whether they came from send, hello or the
    # mailbox; the stored conversation is the shortest way to hand it these two.
    await page.evaluate(
        """items => {
            const saved = JSON.parse(localStorage.getItem("massline.chat.v1"));
            saved.items.push(...items);
            localStorage.setItem("massline.chat.v1", JSON.stringify(saved));
        }""",
        items,
    )
    await page.reload()
    image = bot_bubbles(page).nth(1).locator("img")
    await expect(image).to_have_attribute("alt", "月通报 <b>图表</b>")
    assert await image.evaluate("img => img.complete && img.naturalWidth") == 1
    await expect(bot_bubbles(page).nth(1)).to_contain_text("月通报 <b>图表</b>")
    link = bot_bubbles(page).nth(2).locator("a.file")
    await expect(link).to_have_text("整改台帐.xlsx")
    await expect(link).to_have_attribute("download", "整改台帐.xlsx")
