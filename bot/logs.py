"""Logging set-up. Library loggers that print URLs (with the bot token) or message bodies
stay at WARNING whatever the level, so secrets and chat content never reach the log."""

from __future__ import annotations

import logging

QUIET = (
    "httpx",
    "httpcore",
    "telegram",
    "aiohttp.access",
    "apscheduler",
    "asyncio",
    "aiosqlite",
    "sqlalchemy.engine",
)


def configure(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    apply_levels(level)


def apply_levels(level: str) -> None:
    logging.getLogger().setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
