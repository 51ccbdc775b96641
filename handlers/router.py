"""The router: which command, button or dialogue step an incoming message is for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.feature import ButtonAction, Command, Feature, Handler, Step, allows
from handlers.state import Dialogue

MENU_PREFIX = "cmd:"


@dataclass(frozen=True)
class Parsed:
    command: Command | None = None
    args: str = ""
    unknown: str | None = None  # a /word that is no command of ours


class Router:
    def __init__(self, features: Sequence[Feature], *, fallback: Handler, menu: Handler) -> None:
        self.features = list(features)
        self.fallback = fallback
        self.menu = menu
        self.commands: dict[str, Command] = {}
        self.keywords: dict[str, Command] = {}
        self.buttons: dict[tuple[str, str], ButtonAction] = {}
        self.steps: dict[tuple[str, str], Step] = {}
        for feature in self.features:
            for command in feature.commands:
                if command.name in self.commands:
                    raise ValueError(f"command /{command.name} registered twice")
                self.commands[command.name] = command
                for keyword in command.keywords:
                    self.keywords[keyword.casefold()] = command
            for action, button in feature.buttons.items():
                self.buttons[(feature.name, action)] = button
            for name, step in feature.steps.items():
                self.steps[(feature.name, name)] = step

    def parse(self, text: str) -> Parsed:
        """``/checkin 123456``, ``/checkin@bot 123456`` and ``签到 123456`` are the same."""
        stripped = text.strip()
        head, _, rest = stripped.partition(" ")
        if not rest:
            head, _, rest = stripped.partition("\n")
        args = rest.strip()
        if head.startswith("/") and len(head) > 1:
            name = head[1:].split("@", 1)[0].casefold()
            command = self.commands.get(name)
            return Parsed(command, args) if command else Parsed(unknown=head)
        command = self.keywords.get(head.casefold())
        return Parsed(command, args) if command else Parsed()

    def button(self, payload: str) -> tuple[ButtonAction | None, tuple[str, ...]]:
        feature, _, rest = payload.partition(":")
        action, *params = rest.split(":")
        return self.buttons.get((feature, action)), tuple(params)

    def step(self, dialogue: Dialogue) -> Step | None:
        if dialogue.feature is None or dialogue.step is None:
            return None
        return self.steps.get((dialogue.feature, dialogue.step))

    def available(self, role: str | None, stage: str | None = None) -> list[Command]:
        """Commands this person may use, the ones that matter in this stage first."""
        usable = [c for c in self.commands.values() if allows(c.access, role)]
        return sorted(usable, key=lambda c: 0 if c.stages and stage in c.stages else 1)
