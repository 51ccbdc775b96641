"""Channels at start-up: a rejected token stops the service with a line naming the
setting; a Bot API that is not reachable yet is retried while the web chat serves."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bot.app import create_app
from config.settings import Settings
from tests.databases import migrated_sqlite
from tests.fakes import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_rejected_token_stops_the_service_with_a_clear_line(tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MASSLINE_")}
        env.update(
            MASSLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}",
            MASSLINE_WEB_PORT=str(_free_port()),
            MASSLINE_TELEGRAM_TOKEN="123:not-the-token",
            MASSLINE_TELEGRAM_API_URL=fake.url,
            PYTHONPATH=str(ROOT),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stderr.decode()
    assert process.returncode == 1, log
    assert "MASSLINE_TELEGRAM_TOKEN" in log and "Traceback" not in log
    assert "not-the-token" not in log  # the secret itself is never printed


async def test_unreachable_bot_api_is_retried_while_the_web_chat_serves(tmp_path: Path) -> None:
    port = _free_port()
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite:///{await migrated_sqlite(tmp_path)}",
        telegram_token="123456789:AAFakeTokenForMasslineTests_abcdefgh",
        telegram_api_url=f"http://127.0.0.1:{port}",
    )
    server = TestServer(create_app(settings, channel_retry=(0.2,)))
    await server.start_server()
    fake = FakeTelegram()
    try:
        async with ClientSession() as http:
            health = await (await http.get(server.make_url("/healthz"))).json()
            assert health == {"ok": True, "channels": ["webchat"], "waiting": ["telegram"]}
            hello = await http.get(server.make_url("/api/chat/hello"))
            assert hello.status == 200
            await fake.start(port)
            for _ in range(100):
                health = await (await http.get(server.make_url("/healthz"))).json()
                if health["waiting"] == []:
                    break
                await asyncio.sleep(0.1)
            assert health["channels"] == ["telegram", "webchat"]
        user = fake.user(4242, "迟到的人")
        await user.say("/start")
        assert "邀请码" in (await user.expect()).text
    finally:
        await server.close()
        await fake.close()
