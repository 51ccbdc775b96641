"""What the fake keeps: chats and their messages, calls, uploads, and faults to inject."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_objects import JSON, ApiError, Upload

BLOCKED = "Forbidden: bot was blocked by the user"


@dataclass
class Fault:
    """What the fake does instead of answering one call normally (queued per method)."""

    status: int = 0  # 0: no error answer
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0  # seconds before answering (or failing)
    drop: bool = False  # do the work, then close the connection instead of answering
    chat_id: int | None = None  # only for calls to this chat

    @classmethod
    def flood(cls, retry_after: int = 1, *, chat_id: int | None = None) -> Fault:
        text = f"Too Many Requests: retry after {retry_after}"
        return cls(429, text, retry_after, chat_id=chat_id)

    @classmethod
    def blocked(cls, *, chat_id: int | None = None) -> Fault:
        return cls(403, BLOCKED, chat_id=chat_id)

    @classmethod
    def server_error(cls, *, chat_id: int | None = None) -> Fault:
        return cls(500, "Internal Server Error", chat_id=chat_id)

    @classmethod
    def slow(cls, seconds: float, *, chat_id: int | None = None) -> Fault:
        return cls(delay=seconds, chat_id=chat_id)

    @classmethod
    def dropped(cls, *, chat_id: int | None = None) -> Fault:
        return cls(drop=True, chat_id=chat_id)

    def matches(self, params: JSON) -> bool:
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)

    def error(self) -> ApiError | None:
        if not self.status:
            return None
        return ApiError(self.status, self.description, retry_after=self.retry_after)


@dataclass
class Call:
    """One Bot API request as the fake received it, and how it was answered."""

    method: str
    params: JSON
    status: int | None = None  # None while still being answered (a long poll)
    error: str | None = None
    result: Any = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (for rate checks)

    @property
    def chat_id(self) -> int | None:
        value = str(self.params.get("chat_id"))
        return int(value) if value.lstrip("-").isdigit() else None


@dataclass
class Sent:
    """One message the bot sent, as the fake holds it now (edits change it in place)."""

    method: str
    chat_id: int
    raw: JSON
    upload: Upload | None = None
    edits: int = 0
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def text(self) -> str:
        return str(self.raw.get("text") or self.raw.get("caption") or "")

    @property
    def keyboard(self) -> list[list[JSON]]:
        return list((self.raw.get("reply_markup") or {}).get("inline_keyboard", []))

    @property
    def buttons(self) -> list[str]:
        return [button["text"] for row in self.keyboard for button in row]

    def button(self, label: str) -> JSON | None:
        """The inline button with this label or this callback data, if the message has one."""
        for row in self.keyboard:
            for button in row:
                if label in (button.get("text"), button.get("callback_data")):
                    return dict(button)
        return None


@dataclass
class ChatLog:
    """One chat as Telegram keeps it: message ids shared by both sides, increasing."""

    chat: JSON
    started: bool = False  # the person wrote first: the bot may now write to them
    next_id: int = 1
    messages: dict[int, JSON] = field(default_factory=dict)
    inbox: list[Sent] = field(default_factory=list)  # what the bot sent, in order
    read: int = 0  # how much of the inbox the test has consumed with expect()
    deleted: set[int] = field(default_factory=set)

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1
