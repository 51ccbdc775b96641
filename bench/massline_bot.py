"""The whole Massline service as a benchmark contender: ``create_app(Settings(...))``.

A fresh SQLite file is migrated and seeded as bench.mix describes (one organization in its
study stage, ``--members`` members, the first ``--users`` of them cadres already joined
through Telegram with chat ids from ``--first-user`` on, an item each, a study session
running now), so every update meets a member who is known.

By default the service is exactly what ``python -m bot run`` builds. A few switches undo
one of issue 9's changes at a time, to measure what each gained, by patching names that
bot.channels.telegram looks up when it builds PTB's Application (nothing in bot/ is
edited): ``--transport httpx`` puts back PTB's stock httpx transport, ``--replies-limit 30``
puts replies back behind a 30 messages/second limiter, ``--sequential`` handles one update
at a time as PTB does by default. ``--webhook`` serves the webhook instead of polling, and
``--no-ride`` sends every call on its own rather than one in the webhook's answer.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.bots import Stop
from bench.mix import seed

WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105  (the fake's, on loopback)


async def start_massline(args: argparse.Namespace) -> Stop:
    import bot.channels.telegram as telegram_channel
    from bot.app import create_app
    from config.settings import Settings
    from storage.db import Database
    from storage.migrate import upgrade

    path = Path(args.workdir) / "massline.db"
    db = Database(f"sqlite:///{path}")
    try:
        await upgrade(db)
        await db.run(
            lambda s: seed(s, users=args.users, members=args.members, first_chat=args.first_user)
        )
    finally:
        await db.dispose()
    if args.replies_limit is not None:
        telegram_channel.REPLIES_PER_SECOND = args.replies_limit
    if args.transport == "httpx":
        telegram_channel.AiohttpRequest = _httpx_request  # type: ignore[misc,assignment]
    if args.sequential:
        telegram_channel.CONCURRENT_UPDATES = 1
    if not args.ride:
        telegram_channel.telegram_webhook.ride = lambda: None  # type: ignore[attr-defined]
    port = free_port() if args.webhook else 0
    webhook: dict[str, Any] = {}
    if args.webhook:
        webhook = {"telegram_webhook_url": f"http://127.0.0.1:{port}/telegram/webhook",
                   "telegram_webhook_secret": WEBHOOK_SECRET}  # fmt: skip
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}",
        log_level="WARNING",
        web_host="127.0.0.1",
        web_port=port,
        telegram_token=args.token,
        telegram_api_url=args.api,
        telegram_bot_username="massline_test_bot",
        **webhook,
    )
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()  # cleanup_ctx: database, channels (PTB polls), delivery
    if args.webhook:
        await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner.cleanup


def _httpx_request(connection_pool_size: int = 256) -> Any:
    from telegram.request import HTTPXRequest

    return HTTPXRequest(connection_pool_size=connection_pool_size)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
