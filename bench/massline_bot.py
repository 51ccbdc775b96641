"""The whole Massline service as a benchmark contender: ``create_app(Settings(...))``.

A fresh SQLite file is migrated and seeded with one organization in its ``study`` stage
and ``--members`` members, the first ``--users`` of them already joined through Telegram
(chat ids from ``--first-user`` on), so every update meets a member who is known.

Two switches change the service for the benchmark only, by patching names that
bot.channels.telegram looks up when it builds PTB's Application (nothing in bot/ is edited):
``--transport aiohttp`` gives PTB our AiohttpRequest for both of its request objects, and
``--unlimited`` lifts the AIORateLimiter's overall 30 messages/second (the one Telegram
itself enforces), to see what the core costs rather than what the limiter allows.
"""

from __future__ import annotations

import argparse
import functools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bench.bots import Stop

ORG_NAME = "基准测试规划局"


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
        await db.run(lambda session: _seed(session, args))
    finally:
        await db.dispose()
    if args.unlimited:
        telegram_channel.AIORateLimiter = functools.partial(  # type: ignore[misc]
            telegram_channel.AIORateLimiter, overall_max_rate=0
        )
    if args.transport == "aiohttp":
        telegram_channel.Application = _aiohttp_application()  # type: ignore[misc]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{path}",
        log_level="WARNING",
        web_port=0,
        telegram_token=args.token,
        telegram_api_url=args.api,
        telegram_bot_username="massline_test_bot",
    )
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()  # cleanup_ctx: database, channels (PTB polls), delivery
    return runner.cleanup


def _aiohttp_application() -> Any:
    from telegram.ext import Application, ApplicationBuilder

    from bot.channels.telegram_request import AiohttpRequest

    class AiohttpApplication(Application):  # type: ignore[type-arg]
        @staticmethod
        def builder() -> ApplicationBuilder:  # type: ignore[type-arg]
            return (
                Application.builder()
                .request(AiohttpRequest())
                .get_updates_request(AiohttpRequest(connection_pool_size=1))
            )

    return AiohttpApplication


async def _seed(session: AsyncSession, args: argparse.Namespace) -> None:
    from handlers.admin_ops import create_org
    from storage.models import Member
    from storage.repos import Repos

    repos = Repos(session)
    org = await create_org(repos, ORG_NAME, actor="bench")
    assert org.id is not None
    today = date.today()
    await repos.orgs.set_stage(org.id, "study", today - timedelta(days=20), today + timedelta(90))
    roles = ("cadre",) + ("member",) * 9
    members = [
        Member(org_id=org.id, name=f"成员{index + 1}", role=roles[index % len(roles)])
        for index in range(max(args.members, args.users))
    ]
    session.add_all(members)
    await session.flush()
    for index, member in enumerate(members[: args.users]):
        await repos.members.bind("telegram", str(args.first_user + index), member)
