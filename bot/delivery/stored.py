"""Outbox rows carry stored files by reference (handlers.messages.Stored); the deliverer
loads each file's bytes once and keeps a few in memory, so a broadcast's picture is read
from the database once, not once per member."""

from __future__ import annotations

from collections import OrderedDict

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.messages import File, Image, Queued, Reply, Stored, Text
from storage.db import Database
from storage.files import StoredFile

KEEP_BYTES = 64 * 1024 * 1024  # the most file bytes held between sends


class MissingFile(Exception):
    """A stored file a row refers to is gone: the row cannot be sent as it was queued."""


class FileCache:
    def __init__(self, db: Database, keep: int = KEEP_BYTES) -> None:
        self.db, self.keep = db, keep
        self._files: OrderedDict[int, tuple[str, bytes]] = OrderedDict()
        self._held = 0

    async def replies(self, queued: list[Queued]) -> list[Reply]:
        out: list[Reply] = []
        for item in queued:
            if isinstance(item, Text):
                out.append(item)
                continue
            name, data = await self._load(item)
            out.append(Image(data, item.caption, name) if item.kind == "image"
                       else File(data, name, item.caption))  # fmt: skip
        return out

    async def _load(self, item: Stored) -> tuple[str, bytes]:
        if item.file_id in self._files:
            self._files.move_to_end(item.file_id)
            return self._files[item.file_id]

        async def read(session: AsyncSession) -> StoredFile | None:
            return await session.get(StoredFile, item.file_id)

        row = await self.db.run(read)
        if row is None:
            raise MissingFile(f"stored file {item.file_id} is gone")
        found = (row.name or item.name, row.data)
        self._files[item.file_id] = found
        self._held += len(row.data)
        while self._held > self.keep and len(self._files) > 1:
            _, (_, dropped) = self._files.popitem(last=False)
            self._held -= len(dropped)
        return found
