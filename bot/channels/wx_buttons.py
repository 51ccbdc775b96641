"""Buttons where WeChat has none: numbered options, and the app's menu.

``Options`` keeps, per chat account, the payloads of the numbered options the bot showed
last, so that "1" can mean what the first button meant. It is memory only and expires:
anonymous dialogues pass through it, and nothing of theirs may reach the database.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from config.i18n import Catalog
from handlers.feature import Command, allows
from handlers.router import MENU_PREFIX

from .wx_guard import Expiring

OPTIONS_TTL = 30 * 60.0  # seconds a numbered choice stays valid
OPTIONS_LIMIT = 50_000  # accounts remembered at once
MENU_TOP, MENU_SUB = 3, 5  # WeChat's limits: 3 top-level buttons of 5 each
MENU_NAME_BYTES = 16
# The menu's sections: these commands first, in this order; the rest under "more".
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("opinions", ("opinion", "anon", "my", "receipt")),
    ("study", ("study", "deadlines", "reflect")),
)


def number(text: str) -> int | None:
    """The option a person picked: "1", "１", " 2 " and "2." all count."""
    cleaned = unicodedata.normalize("NFKC", text).strip().rstrip(".、。")
    return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 2 else None


class Options:
    def __init__(
        self,
        ttl: float = OPTIONS_TTL,
        limit: int = OPTIONS_LIMIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shown: Expiring[str, tuple[str, ...]] = Expiring(ttl, limit, clock)

    def remember(self, user: str, payloads: Iterable[str]) -> None:
        """What the bot just showed this account: its options replace the earlier ones,
        and a message without options leaves none (a number typed then is just text)."""
        kept = tuple(payloads)
        if kept:
            self._shown.put(user, kept)
        else:
            self._shown.pop(user)

    def resolve(self, user: str, text: str) -> str | None:
        """The payload of the option ``text`` picks, if it is the number of one shown."""
        picked = number(text)
        shown = self._shown.get(user)
        if picked is None or not shown or not 1 <= picked <= len(shown):
            return None
        return shown[picked - 1]


def menu(commands: Iterable[Command], catalog: Catalog, lang: str) -> list[dict[str, Any]]:
    """The app's menu (WeCom and the Official Account take the same shape): what every
    member may use, grouped, each a click button whose key is the command's menu payload."""
    usable = [c for c in commands if c.menu and allows(c.access, "member")]
    by_name = {c.name: c for c in usable}
    groups: list[tuple[str, list[Command]]] = []
    taken: set[str] = set()
    for section, names in SECTIONS:
        chosen = [by_name[n] for n in names if n in by_name][:MENU_SUB]
        taken.update(c.name for c in chosen)
        if chosen:
            groups.append((section, chosen))
    rest = [c for c in usable if c.name not in taken]
    rest.sort(key=lambda c: c.name == "help")  # 帮助 last, and never cut off
    groups.append(("more", rest[-MENU_SUB:] if len(rest) > MENU_SUB else rest))
    buttons: list[dict[str, Any]] = []
    for section, chosen in groups[:MENU_TOP]:
        items = [_click(catalog.text(lang, f"label.{c.name}"), c.name) for c in chosen]
        if len(items) == 1:
            buttons.append(items[0])
        elif items:
            name = _fit(catalog.text(lang, f"wechat.menu_{section}"), MENU_NAME_BYTES)
            buttons.append({"name": name, "sub_button": items})
    return buttons


def _click(label: str, command: str) -> dict[str, Any]:
    return {"type": "click", "name": _fit(label, 40), "key": MENU_PREFIX + command}


def _fit(text: str, limit: int) -> str:
    return text.encode()[:limit].decode(errors="ignore")
