"""Dialogue state in the database, keyed by (channel, chat account).

Read and written on every message, so through SQLAlchemy Core with statements built once:
the ORM's identity map and unit of work cost several times what the two statements do
(issue 9, bench/statements.py). Rows come back as plain ``DialogueRow`` values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, insert, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DialogueState
from storage.types import utcnow

TABLE: Table = DialogueState.__table__  # type: ignore[attr-defined]
_KEY = (TABLE.c.channel == bindparam("key_channel")) & (TABLE.c.user_key == bindparam("key_user"))
COLUMNS = (TABLE.c.feature, TABLE.c.step, TABLE.c.data, TABLE.c.language, TABLE.c.updated_at)
_LOAD = select(*COLUMNS).where(_KEY)
_VALUES = {
    "feature": bindparam("new_feature"),
    "step": bindparam("new_step"),
    "data": bindparam("new_data"),
    "language": bindparam("new_language"),
    "updated_at": bindparam("new_updated_at"),
}
_UPDATE = update(TABLE).where(_KEY).values(_VALUES)
_INSERT = insert(TABLE).values(
    channel=bindparam("key_channel"), user_key=bindparam("key_user"), **_VALUES
)


class DialogueRow(NamedTuple):
    feature: str | None
    step: str | None
    data: dict[str, Any]
    language: str | None
    updated_at: datetime


class DialogueRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # What this transaction knows of each account's row (None: it has none), so that
        # save() compares with what was loaded instead of reading it again.
        self._known: dict[tuple[str, str], DialogueRow | None] = {}

    async def load(self, channel: str, user_key: str) -> DialogueRow | None:
        key = (channel, user_key)
        if key in self._known:
            return self._known[key]
        connection = await self.session.connection()
        params = {"key_channel": channel, "key_user": user_key}
        found = (await connection.execute(_LOAD, params)).first()
        row = DialogueRow(*found) if found is not None else None
        self._known[key] = row
        return row

    def looked_up(self, channel: str, user_key: str, row: DialogueRow | None) -> None:
        """What the caller found itself (with the member, in one query): the row, or none."""
        self._known[(channel, user_key)] = row

    async def save(
        self,
        channel: str,
        user_key: str,
        *,
        feature: str | None,
        step: str | None,
        data: dict[str, Any],
        language: str | None,
    ) -> None:
        row = await self.load(channel, user_key)
        if row is None and feature is None and language is None:
            return
        if row is not None and (row.feature, row.step, row.data, row.language) == (
            feature,
            step,
            data,
            language,
        ):
            return  # unchanged: no write (and no trace of this moment; SPEC §6)
        saved = DialogueRow(feature, step, dict(data), language, utcnow())
        params = {"key_channel": channel, "key_user": user_key, "new_feature": feature,
                  "new_step": step, "new_data": saved.data, "new_language": language,
                  "new_updated_at": saved.updated_at}  # fmt: skip
        connection = await self.session.connection()
        await connection.execute(_UPDATE if row is not None else _INSERT, params)
        self._known[(channel, user_key)] = saved
