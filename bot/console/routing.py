"""How a console page declares itself: method, path, and the roles that may open it.

There is no default: a route either names its roles or says ``PUBLIC`` (the login pages
and static files), so a new page cannot forget to say who may see it. Organization scope
(a leader of one unit sees nothing of another) is checked by each page on what it loads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from storage.models import Role

if TYPE_CHECKING:
    from bot.console.page import Page

Handler = Callable[["Page"], Awaitable[web.StreamResponse]]

PUBLIC: frozenset[str] = frozenset()  # no login needed
ADMIN = frozenset({Role.admin})
OFFICE = frozenset({Role.admin, Role.leader})  # may act: the office, and leaders on their own
READERS = frozenset({Role.admin, Role.leader, Role.supervisor})
AUDITORS = frozenset({Role.admin, Role.supervisor})


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    roles: frozenset[str]

    @property
    def public(self) -> bool:
        return not self.roles


class RouteTable:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def get(self, path: str, *, roles: frozenset[str]) -> Callable[[Handler], Handler]:
        return self._add("GET", path, roles)

    def post(self, path: str, *, roles: frozenset[str]) -> Callable[[Handler], Handler]:
        return self._add("POST", path, roles)

    def _add(self, method: str, path: str, roles: frozenset[str]) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, path, handler, roles))
            return handler

        return register
