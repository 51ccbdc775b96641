"""What the fake WeChat API keeps: calls, what each person received, faults to inject."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
WECOM, MP = "wecom", "mp"  # the two APIs the fake serves, under /wecom and /mp
_OPTION = re.compile(r"^(?:回复 (\d+) |Reply (\d+): )(.+)$", re.MULTILINE)


@dataclass
class WxFault:
    """What the fake does instead of answering one call normally (queued per method)."""

    errcode: int = 0
    errmsg: str = ""
    delay: float = 0.0  # seconds before answering (or failing)
    status: int = 200  # an HTTP error page instead of JSON
    to: str | None = None  # only for sends to this account

    @classmethod
    def expired_token(cls) -> WxFault:
        return cls(42001, "access_token expired")

    @classmethod
    def window_closed(cls, to: str | None = None) -> WxFault:
        return cls(45015, "response out of time limit or subscription is canceled", to=to)

    @classmethod
    def quota(cls, to: str | None = None) -> WxFault:
        return cls(45047, "out of response count limit", to=to)

    @classmethod
    def rate_limited(cls) -> WxFault:
        return cls(45009, "reach max api daily quota limit")

    @classmethod
    def busy(cls) -> WxFault:
        return cls(-1, "system error")

    @classmethod
    def server_error(cls) -> WxFault:
        return cls(status=502)

    def matches(self, body: JSON) -> bool:
        return self.to is None or body.get("touser") == self.to


@dataclass
class WxCall:
    """One API request as the fake received it, and how it answered."""

    api: str
    method: str
    query: dict[str, str]
    body: JSON
    errcode: int | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def to(self) -> str | None:
        value = self.body.get("touser")
        return str(value) if value is not None else None


@dataclass(frozen=True)
class Upload:
    data: bytes
    name: str
    mime: str


@dataclass
class Received:
    """One message a person got: a passive reply, a customer-service or app message, or a
    template message."""

    via: str  # "passive", "custom", "app", "template"
    msgtype: str
    raw: JSON
    media: Upload | None = None

    @property
    def text(self) -> str:
        raw = self.raw
        if self.msgtype == "text":
            return str(raw.get("text", {}).get("content", ""))
        if self.msgtype == "textcard":
            card = raw["textcard"]
            return f"{card['title']}\n{card['description']}"
        if self.msgtype == "template":
            return " ".join(str(v.get("value", "")) for v in raw.get("data", {}).values())
        return ""

    @property
    def options(self) -> dict[str, int]:
        """The numbered options shown, label → number."""
        return {m[3]: int(m[1] or m[2]) for m in _OPTION.finditer(self.text)}
