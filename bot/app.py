"""The app factory: ``create_app(settings)`` builds the whole service as one aiohttp app.

Tests build the same app with test settings. Every resource starts and stops in
``cleanup_ctx``, in order: database, core, channels, delivery.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.calendar_route import PATH as CALENDAR_PATH
from bot.calendar_route import calendar_handler
from bot.channels.base import Channel
from bot.channels.webchat import WebChat
from bot.channels.wx_setup import wechat_channels
from bot.console import Console
from bot.delivery import Deliverer
from bot.files_route import PATH as FILES_PATH
from bot.files_route import files_handler
from bot.lifecycle import RETRY_DELAYS, ChannelSupervisor
from bot.scheduler import Scheduler
from config.i18n import default_catalog
from config.settings import Settings
from handlers.context import Services
from handlers.demo import demo_invites
from handlers.dispatcher import Dispatcher
from handlers.registry import build_router
from storage.db import Database
from storage.repos import Repos

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", Database)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
CHANNELS = web.AppKey("channels", dict[str, Channel])
DELIVERER = web.AppKey("deliverer", Deliverer)
SUPERVISOR = web.AppKey("supervisor", ChannelSupervisor)
SCHEDULER = web.AppKey("scheduler", Scheduler)


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    channel_retry: tuple[float, ...] = RETRY_DELAYS,
) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    db = database or Database(settings.database_url)
    catalog = default_catalog()
    services = Services(
        catalog=catalog,
        zone=settings.zone,
        default_language=settings.language,
        web_url=settings.web_url,
        telegram_username=settings.telegram_bot_username,
    )
    channels: dict[str, Channel] = {}
    own_rates = {"wecom": settings.wecom_send_rate, "wechat": settings.wechat_send_rate}
    deliverer = Deliverer(
        db,
        channels,
        rate=settings.send_rate,
        rates=own_rates,
        running=lambda name: name not in app[SUPERVISOR].waiting,  # still retrying its start
    )
    dispatcher = Dispatcher(db, services, build_router(), on_queued=deliverer.wake)

    async def demo_codes() -> dict[str, str]:
        return await db.run(lambda session: demo_invites(Repos(session)))

    webchat = WebChat(db, dispatcher, catalog, demo_codes)
    webchat.add_routes(app)
    Console(db, services, on_queued=deliverer.wake).add_routes(app)
    channels[webchat.name] = webchat
    if settings.telegram_token is not None:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(settings, dispatcher, catalog)
        telegram.add_routes(app)
        channels[telegram.name] = telegram
    for wx_channel in wechat_channels(settings, dispatcher, catalog):
        wx_channel.add_routes(app)
        channels[wx_channel.name] = wx_channel

    async def fetch_media(channel_name: str, ref: str) -> bytes | None:
        fetch = getattr(channels.get(channel_name), "fetch_media", None)
        return await fetch(ref) if fetch is not None else None

    services.fetch_media = fetch_media
    app[SETTINGS], app[DATABASE], app[DISPATCHER] = settings, db, dispatcher
    app[CHANNELS], app[DELIVERER] = channels, deliverer
    app.router.add_get("/healthz", _health)
    app.router.add_get(CALENDAR_PATH, calendar_handler(db, services))
    app.router.add_get(FILES_PATH, files_handler(db))
    app[SUPERVISOR] = ChannelSupervisor(
        channels.values(), lambda channel: _started_line(channel, settings), delays=channel_retry
    )
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_channels)
    app[SCHEDULER] = Scheduler(db, services, on_queued=deliverer.wake)
    app.cleanup_ctx.append(_delivery)
    app.cleanup_ctx.append(_scheduler)
    return app


async def _health(request: web.Request) -> web.Response:
    supervisor = request.app[SUPERVISOR]
    return web.json_response(
        {
            "ok": True,
            "channels": sorted(c.name for c in supervisor.running),
            "waiting": sorted(supervisor.waiting),
        }
    )


async def _database(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[DATABASE].dispose()


async def _channels(app: web.Application) -> AsyncIterator[None]:
    await app[SUPERVISOR].start()
    yield
    await app[SUPERVISOR].stop()


def _started_line(channel: Any, settings: Settings) -> str:
    if channel.name == "webchat":
        return ""  # the server logs the web chat's address once it listens
    describe = getattr(channel, "describe", None)
    if callable(describe):
        return str(describe())
    username = getattr(channel, "username", None)
    mode = "webhook" if settings.telegram_webhook_url else "polling"
    return f"{channel.name}: @{username} ({mode})"


async def _delivery(app: web.Application) -> AsyncIterator[None]:
    await app[DELIVERER].start()
    yield
    await app[DELIVERER].stop()


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    await app[SCHEDULER].start()
    yield
    await app[SCHEDULER].stop()
