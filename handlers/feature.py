"""How a feature module declares what it answers: commands, buttons and dialogue steps.

Every entry names the roles allowed to use it; there is no default, so a new handler
cannot forget to say who may call it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from storage.models import Role

if TYPE_CHECKING:
    from handlers.context import Context

Handler = Callable[["Context"], Awaitable[None]]
Access = frozenset[Role] | Literal["anyone"]

ANYONE: Access = "anyone"
MEMBERS: Access = frozenset(Role)
CADRES: Access = frozenset({Role.cadre, Role.leader, Role.admin})
LEADERS: Access = frozenset({Role.leader, Role.admin})
ADMINS: Access = frozenset({Role.admin})


def allows(access: Access, role: str | None) -> bool:
    if access == ANYONE:
        return True
    return role is not None and role in access


@dataclass(frozen=True)
class Command:
    name: str
    feature: str
    handler: Handler
    access: Access
    keywords: tuple[str, ...]
    menu: bool
    stages: frozenset[str] | None


@dataclass(frozen=True)
class ButtonAction:
    feature: str
    action: str
    handler: Handler
    access: Access


@dataclass(frozen=True)
class Step:
    feature: str
    name: str
    handler: Handler
    access: Access
    anonymous: bool  # its state lives in memory only (SPEC §6)


class Feature:
    def __init__(self, name: str) -> None:
        if ":" in name:
            raise ValueError("feature names go into button payloads and cannot hold ':'")
        self.name = name
        self.commands: list[Command] = []
        self.buttons: dict[str, ButtonAction] = {}
        self.steps: dict[str, Step] = {}

    def command(
        self,
        name: str,
        *,
        access: Access,
        keywords: tuple[str, ...] = (),
        menu: bool = True,
        stages: frozenset[str] | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands.append(Command(name, self.name, handler, access, keywords, menu, stages))
            return handler

        return register

    def button(self, action: str, *, access: Access) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.buttons[action] = ButtonAction(self.name, action, handler, access)
            return handler

        return register

    def step(
        self, name: str, *, access: Access, anonymous: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.steps[name] = Step(self.name, name, handler, access, anonymous)
            return handler

        return register

    def payload(self, action: str, *args: object) -> str:
        """A button payload for one of this feature's actions; Telegram allows 64 bytes."""
        text = ":".join([self.name, action, *(str(a) for a in args)])
        if len(text.encode()) > 64:
            raise ValueError(f"button payload too long: {text!r}")
        return text


def param_id(raw: str) -> int:
    """An id from a button payload or a command, or 0 (which names nothing) when it is not
    one: ``"²".isdigit()`` is true but not a number, and 30 digits overflow the database."""
    if raw.isascii() and raw.isdigit() and len(raw) <= 19:
        value = int(raw)
        if value < 2**63:
            return value
    return 0
