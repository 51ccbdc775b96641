"""Message catalogs: every user-facing string, Chinese by default, English complete.

Catalogs are TOML files under config/locales/<language>/, one file per feature (so that
features grow their words without touching each other's files); nested tables become
dotted keys (``[join] ok = "…"`` is ``join.ok``). Placeholders use ``{name}``.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
_LOCALES = Path(__file__).with_name("locales")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


class Catalog:
    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self._messages = messages

    @classmethod
    def load(cls, directory: Path = _LOCALES) -> Catalog:
        messages: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            table: dict[str, str] = {}
            for path in sorted((directory / lang).glob("*.toml")):
                with path.open("rb") as fh:
                    found = _flatten(tomllib.load(fh))
                clash = table.keys() & found.keys()
                if clash:
                    raise ValueError(f"{path}: keys defined twice: {sorted(clash)}")
                table.update(found)
            messages[lang] = table
        return cls(messages)

    def keys(self, lang: str) -> set[str]:
        return set(self._messages[lang])

    def raw(self, lang: str, key: str) -> str:
        return self._messages[lang][key]

    def has(self, key: str) -> bool:
        return key in self._messages[DEFAULT_LANGUAGE]

    def text(self, lang: str, key: str, /, **params: object) -> str:
        table = self._messages.get(lang) or self._messages[DEFAULT_LANGUAGE]
        template = table.get(key) or self._messages[DEFAULT_LANGUAGE].get(key)
        if template is None:
            raise KeyError(f"message {key!r} is in no catalog")
        return template.format_map(params) if params else template

    def all_languages(self, key: str) -> list[str]:
        """The same message in every language, e.g. to accept a keyword in any of them."""
        return [self._messages[lang][key] for lang in LANGUAGES if key in self._messages[lang]]


@cache
def default_catalog() -> Catalog:
    return Catalog.load()


def normalize_language(value: str | None) -> str | None:
    """Map a channel's language hint (``en-US``, ``zh-hans``) to one of ours, or None."""
    if not value:
        return None
    head = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return head if head in LANGUAGES else None
