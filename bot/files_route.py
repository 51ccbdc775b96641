"""GET /files/{id}/{token}/{name}: a file the office sent out (a session's reading, a
broadcast's picture), for channels that link to it rather than carry it, and for the
phone's calendar. The token is the only key; a wrong one gets the same 404 as none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.files import StoredFile
from storage.repos import Repos

PATH = "/files/{id:\\d+}/{token}/{name}"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE_INLINE = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


def files_handler(db: Database) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        file_id, token = int(request.match_info["id"]), request.match_info["token"]

        async def load(session: AsyncSession) -> StoredFile | None:
            return await Repos(session).files.by_link(file_id, token)

        row = await db.run(load)
        if row is None:
            raise web.HTTPNotFound(text="no such file")
        mime = row.mime or ("image/jpeg" if row.kind == "image" else "application/octet-stream")
        # Anything that a browser could run as a page is a download, never shown inline.
        how = "inline" if mime in SAFE_INLINE else "attachment"
        return web.Response(
            body=row.data,
            content_type=mime if how == "inline" else "application/octet-stream",
            headers={
                "Cache-Control": "private, max-age=86400",
                "Content-Disposition": f"{how}; filename*=UTF-8''{quote(row.name)}",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Referrer-Policy": "no-referrer",
            },
        )

    return serve
