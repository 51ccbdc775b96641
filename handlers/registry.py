"""The features, in the order the router tries them; the catch-all answers last."""

from __future__ import annotations

from handlers import core, membership, opinions
from handlers.feature import Feature
from handlers.menu import show_menu
from handlers.router import Router

FEATURES: tuple[Feature, ...] = (
    membership.feature,
    opinions.feature,
    core.feature,
)


def build_router() -> Router:
    return Router(FEATURES, fallback=core.fallback, menu=show_menu)
