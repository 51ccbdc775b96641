"""What the console's forms share: what was typed, what is wrong with it field by field
(in the viewer's language), and the cleaned values once nothing is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from handlers.context import Context
from handlers.study.common import clean_text

NUMBER_DIGITS = 6


@dataclass
class Form:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    clean: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, values: dict[str, str], names: tuple[str, ...]) -> Form:
        return cls({name: values.get(name, "").strip() for name in names})

    def fail(self, name: str, text: str) -> None:
        self.errors.setdefault(name, text)

    @property
    def ok(self) -> bool:
        return not self.errors


def text(
    ctx: Context, form: Form, name: str, limit: int, *, required: bool = True, label: str = ""
) -> str:
    """A one-line text: control characters out, spaces folded, within ``limit``."""
    words = clean_text(form.values.get(name, ""))
    label = label or ctx.t(f"console.f_{name}")
    if not words and required:
        form.fail(name, ctx.t("console.err_required", field=label))
    elif len(words) > limit:
        form.fail(name, ctx.t("console.err_too_long", field=label, limit=limit, length=len(words)))
    form.clean[name] = words
    return words


def number(ctx: Context, form: Form, name: str, low: int, high: int) -> int | None:
    """A whole number between ``low`` and ``high``."""
    raw = form.values.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > NUMBER_DIGITS:
        form.fail(name, ctx.t("console.err_between", low=low, high=high))
        return None
    value = int(raw)
    if not low <= value <= high:
        form.fail(name, ctx.t("console.err_between", low=low, high=high))
        return None
    form.clean[name] = value
    return value


def day(ctx: Context, form: Form, name: str) -> date | None:
    """A date as a date field sends it (2027-03-31)."""
    try:
        found = date.fromisoformat(form.values.get(name, ""))
    except ValueError:
        form.fail(name, ctx.t("console.err_date"))
        return None
    if not 2000 <= found.year <= 2100:
        form.fail(name, ctx.t("console.err_date"))
        return None
    form.clean[name] = found
    return found


def choice(ctx: Context, form: Form, name: str, allowed: tuple[str, ...] | set[str]) -> str | None:
    value = form.values.get(name, "")
    if value not in allowed:
        form.fail(name, ctx.t("console.err_choice"))
        return None
    form.clean[name] = value
    return value
