"""One console request as a page sees it: who is looking, in which language, the form
that was sent, and how to answer — a rendered template, a redirect with a note, an error.

Templates are Jinja2 with autoescaping on; every word on a page comes from the catalogs
(config/locales/*/console.toml and the features' own files) through ``t``.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from multidict import MultiDict, MultiDictProxy

from bot.console.auth import LoginLimiter, Sessions, Viewer
from bot.console.memory import Nonces, Notes
from handlers.console_ops.context import OpContext, op_context
from handlers.context import Services
from storage.db import Database
from storage.repos import Repos

T = TypeVar("T")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATES = Path(__file__).with_name("templates")
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}
env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass
class Core:
    """What every console page shares, built once with the app."""

    db: Database
    services: Services
    on_queued: Callable[[], None] | None = None
    notes: Notes = field(default_factory=Notes)
    nonces: Nonces = field(default_factory=Nonces)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    sessions: Sessions = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = Sessions(self.db, self.services.clock)

    @property
    def secure(self) -> bool:
        return self.services.web_url.startswith("https://")


class Page:
    def __init__(
        self,
        core: Core,
        request: web.Request,
        lang: str,
        viewer: Viewer | None,
        form: MultiDictProxy[Any] | None = None,
    ) -> None:
        self.core, self.request, self.lang, self.viewer = core, request, lang, viewer
        self.form: MultiDictProxy[Any] = form if form is not None else MultiDictProxy(MultiDict())
        self.csrf = viewer.csrf if viewer else ""

    @property
    def me(self) -> Viewer:
        assert self.viewer is not None, "a public page has no viewer"
        return self.viewer

    def t(self, key: str, /, **params: object) -> str:
        return self.core.services.catalog.text(self.lang, key, **params)

    def field(self, name: str) -> str:
        value = self.form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def match(self, name: str) -> str:
        return self.request.match_info.get(name, "")

    @property
    def secure(self) -> bool:
        return self.request.secure or self.core.secure

    # Storage

    async def run(self, work: Callable[[Repos], Awaitable[T]], *, writes: bool = False) -> T:
        result = await self.core.db.run(lambda session: work(Repos(session)))
        if writes and self.core.on_queued is not None:
            self.core.on_queued()
        return result

    def ops(self, db: Repos) -> OpContext:
        viewer = self.me
        return op_context(db, self.core.services, viewer.member, viewer.org, self.lang)

    def today(self) -> date:
        return self.core.services.clock().astimezone(self.core.services.zone).date()

    # Answers

    def render(self, template: str, *, status: int = 200, **values: Any) -> web.Response:
        notes = self.core.notes.take(self.viewer.session) if self.viewer else []
        parts = self.request.path.split("/")
        back = self.request.path_qs if self.request.method == "GET" else "/console"
        html = env.get_template(template).render(
            t=self.t, lang=self.lang, viewer=self.viewer, csrf=self.csrf, notes=notes,
            nonce=lambda: secrets.token_urlsafe(16), back=back,
            section=parts[2] if len(parts) > 2 else "",
            day=_day, when=self.when, hm=self.hm, **values,
        )  # fmt: skip
        response = web.Response(text=html, status=status, content_type="text/html")
        response.headers.update(HEADERS)
        return response

    def when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return moment.astimezone(self.core.services.zone).strftime("%Y-%m-%d %H:%M")

    def hm(self, moment: datetime | None, zone: Any = None) -> str:
        """The hour and minute of a moment, in ``zone`` or the service's."""
        if moment is None:
            return ""
        return moment.astimezone(zone or self.core.services.zone).strftime("%H:%M")

    def note(self, text: str, kind: str = "ok") -> None:
        if self.viewer is not None:
            self.core.notes.add(self.viewer.session, kind, text)

    def redirect(self, location: str, *notes: str, kind: str = "ok") -> web.Response:
        for text in notes:
            self.note(text, kind)
        return web.Response(status=303, headers={"Location": location, **HEADERS})

    def download(self, data: bytes, name: str, shown: str, kind: str) -> web.Response:
        """A file to save: ``name`` in ASCII for old browsers, ``shown`` for the rest."""
        disposition = f"attachment; filename={name}; filename*=UTF-8''{quote(shown)}"
        headers = {"Content-Disposition": disposition, "Cache-Control": "no-store",
                   "X-Content-Type-Options": "nosniff"}  # fmt: skip
        return web.Response(body=data, headers=headers, content_type=kind)

    def error(self, status: int, key: str, **params: object) -> web.Response:
        return self.render("error.html", status=status, message=self.t(key, **params))

    def not_found(self) -> web.Response:
        return self.error(404, "console.not_found")

    def forbidden(self) -> web.Response:
        return self.error(403, "console.forbidden")


def _day(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else ""
