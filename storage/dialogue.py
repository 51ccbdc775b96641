"""Dialogue state in the database, keyed by (channel, chat account)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import DialogueState
from storage.types import utcnow


class DialogueRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._absent: set[tuple[str, str]] = set()  # looked up in this transaction: no row

    async def load(self, channel: str, user_key: str) -> DialogueState | None:
        if (channel, user_key) in self._absent:
            return None
        row = await self.session.get(DialogueState, (channel, user_key))
        if row is None:
            self._absent.add((channel, user_key))
        return row

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
        if row is None:
            row = DialogueState(channel=channel, user_key=user_key)
            self._absent.discard((channel, user_key))
        row.feature, row.step, row.data, row.language = feature, step, dict(data), language
        row.updated_at = utcnow()
        self.session.add(row)
