"""GET /calendar/{token}.ics: a member's study calendar, for the phone's calendar app.

The token in the link is the only key (192 random bits, made the first time the member
opens 学习); an unknown or malformed one gets 404, the same either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from config.i18n import Catalog
from handlers.context import Services
from handlers.study.calendar import feed, member_by_token
from storage.db import Database
from storage.repos import Repos

PATH = "/calendar/{token}.ics"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def calendar_handler(db: Database, services: Services) -> Handler:
    """The route's handler; in create_app:
    ``app.router.add_get(PATH, calendar_handler(db, services))``."""
    catalog: Catalog = services.catalog

    async def calendar(request: web.Request) -> web.StreamResponse:
        token = request.match_info.get("token", "")

        async def build(session: AsyncSession) -> str | None:
            repos = Repos(session)
            member = await member_by_token(repos, token)
            if member is None:
                return None
            lang = member.language or services.default_language
            return await feed(repos, member, catalog, lang, services.clock())

        text = await db.run(build)
        if text is None:
            raise web.HTTPNotFound(text="no such calendar")
        return web.Response(
            body=text.encode(),
            content_type="text/calendar",
            charset="utf-8",
            headers={
                "Cache-Control": "private, max-age=300",
                "Content-Disposition": 'inline; filename="massline.ics"',
                "Referrer-Policy": "no-referrer",
            },
        )

    return calendar
