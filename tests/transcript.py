"""Conversations with the core as transcripts: a person says X, the bot answers Y.

Modelled on errbot's push_message/pop_message: no channel involved, the same dispatcher
every channel uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from config.i18n import default_catalog
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.messages import Attachment, Button, Incoming, Reply, Text
from handlers.registry import build_router
from storage.db import Database


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_services(clock: Clock | None = None, **overrides: object) -> Services:
    services = Services(
        catalog=default_catalog(),
        zone=ZoneInfo("Asia/Shanghai"),
        default_language="zh",
        web_url="http://127.0.0.1:8080",
        telegram_username="massline_test_bot",
        clock=clock or Clock(),
    )
    for name, value in overrides.items():
        setattr(services, name, value)
    return services


def make_dispatcher(db: Database, services: Services) -> Dispatcher:
    return Dispatcher(db, services, build_router())


@dataclass
class Chat:
    """One person in one chat: ``await chat.say("/help")`` returns what the bot answered."""

    dispatcher: Dispatcher
    user: str = "u1"
    channel: str = "test"
    name: str | None = None
    language: str | None = None
    last: list[Reply] = field(default_factory=list)

    async def say(self, text: str, *attachments: Attachment) -> str:
        return await self._send(
            Incoming(
                self.channel,
                self.user,
                text=text,
                attachments=attachments,
                display_name=self.name,
                language_hint=self.language,
            )
        )

    async def send_file(self, attachment: Attachment) -> str:
        return await self._send(
            Incoming(
                self.channel,
                self.user,
                attachments=(attachment,),
                display_name=self.name,
                language_hint=self.language,
            )
        )

    async def tap(self, label: str) -> str:
        """Tap the button with this label (or payload) under the bot's last messages."""
        for button in self.buttons():
            if label in (button.label, button.payload):
                return await self.press(button.payload or "")
        raise AssertionError(f"no button {label!r} in {[b.label for b in self.buttons()]}")

    async def press(self, payload: str) -> str:
        return await self._send(
            Incoming(
                self.channel,
                self.user,
                payload=payload,
                display_name=self.name,
                language_hint=self.language,
            )
        )

    def buttons(self) -> list[Button]:
        return [b for r in self.last if isinstance(r, Text) for row in r.buttons for b in row]

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last if isinstance(r, Text))

    async def _send(self, msg: Incoming) -> str:
        self.last = await self.dispatcher.handle(msg)
        assert self.last, "the bot answered nothing (SPEC §7: never silence)"
        return self.text
