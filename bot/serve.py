"""``python -m bot run``: migrate, build the app, serve until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot.app import create_app
from bot.channels.base import ChannelConfigError
from bot.logs import configure
from config.settings import Settings
from storage.db import Database
from storage.migrate import upgrade

log = logging.getLogger("bot")


def serve(settings: Settings, *, migrate: bool = True) -> int:
    configure(settings.log_level)
    try:
        asyncio.run(_serve(settings, migrate))
    except KeyboardInterrupt:
        pass
    except ChannelConfigError as exc:
        log.error("%s", exc)
        return 1
    return 0


async def _serve(settings: Settings, migrate: bool) -> None:
    if migrate:
        db = Database(settings.database_url)
        try:
            await upgrade(db)
        finally:
            await db.dispose()
    app = create_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    try:
        await runner.setup()
    except ChannelConfigError:
        await runner.cleanup()
        raise
    site = web.TCPSite(runner, settings.web_host, settings.web_port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "web chat: %s/ (listening on %s:%s)", settings.web_url, settings.web_host, settings.web_port
    )
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await runner.cleanup()
        log.info("stopped")
