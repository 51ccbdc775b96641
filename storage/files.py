"""Files the office sends out (a broadcast's picture, a session's reading): stored once by
us, so every channel can send them, whatever channel they came in through."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import UTCDateTime, utcnow

MAX_BYTES = 10 * 1024 * 1024  # WeCom's image limit, and well inside Telegram's 50 MB


class StoredFile(SQLModel, table=True):
    __tablename__ = "stored_file"
    id: int | None = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id", index=True)
    kind: str = Field(max_length=8)  # "image" or "file": how channels should show it
    name: str = Field(max_length=200)
    mime: str | None = Field(default=None, max_length=100)
    size: int
    sha256: str = Field(max_length=64)
    token: str = Field(default_factory=lambda: secrets.token_urlsafe(18), max_length=32)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FileRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self, org_id: int, kind: str, name: str, data: bytes, mime: str | None = None
    ) -> StoredFile:
        if len(data) > MAX_BYTES:
            raise ValueError(f"{len(data)} bytes is over the {MAX_BYTES} limit")
        row = StoredFile(org_id=org_id, kind=kind, name=name[:200], mime=mime, size=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), data=data)  # fmt: skip
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, file_id: int) -> StoredFile | None:
        return await self.session.get(StoredFile, file_id)

    async def by_link(self, file_id: int, token: str) -> StoredFile | None:
        """The file a link names, only with its token (compared in constant time)."""
        row = await self.session.get(StoredFile, file_id)
        if row is None or not secrets.compare_digest(row.token, token):
            return None
        return row


def link_path(row: StoredFile) -> str:
    """Where the web server serves it (bot/files_route.py); the token is the only key."""
    return f"/files/{row.id}/{row.token}/{quote(row.name)}"
