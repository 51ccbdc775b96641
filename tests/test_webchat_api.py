"""The web chat's HTTP side, without a browser: cookies, languages, origins, mailboxes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.webchat import COOKIE
from config.settings import Settings
from tests.databases import migrated_sqlite


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    path = await migrated_sqlite(tmp_path)
    app = create_app(Settings(database_url=f"sqlite:///{path}", _env_file=None))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_hello_sets_an_httponly_cookie_and_greets_a_stranger(client: TestClient) -> None:
    response = await client.get("/api/chat/hello")
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert COOKIE in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    body = await response.json()
    assert body["lang"] == "zh" and body["member"] is False
    assert "邀请码" in body["replies"][0]["text"]
    assert body["strings"]["send"] == "发送"


async def test_an_english_browser_gets_english_throughout(client: TestClient) -> None:
    headers = {"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"}
    body = await (await client.get("/api/chat/hello", headers=headers)).json()
    assert body["lang"] == "en" and body["strings"]["send"] == "Send"
    assert "invite code" in body["replies"][0]["text"]
    sent = await client.post("/api/chat/send", json={"text": "hi"}, headers=headers)
    assert "invite code" in (await sent.json())["replies"][0]["text"]


async def test_cross_site_posts_are_refused(client: TestClient) -> None:
    forged = {"Origin": "https://evil.example"}
    response = await client.post("/api/chat/send", json={"text": "/help"}, headers=forged)
    assert response.status == 403
    same = {"Origin": f"http://{client.server.host}:{client.server.port}"}
    assert (await client.post("/api/chat/send", json={"text": "/help"}, headers=same)).status == 200


async def test_garbage_bodies_still_get_an_answer(client: TestClient) -> None:
    for body in (b"not json", b"[1, 2]", b'{"text": 5}'):
        response = await client.post(
            "/api/chat/send", data=body, headers={"Content-Type": "application/json"}
        )
        assert response.status == 200
        assert (await response.json())["replies"], body


async def test_mailbox_needs_a_number_and_is_empty_for_strangers(client: TestClient) -> None:
    assert (await client.get("/api/chat/updates?after=x")).status == 400
    assert (await (await client.get("/api/chat/updates?after=0")).json()) == {"mail": []}
