"""The audit log of admin actions: who changed what, from the CLI, chat or console."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry


class AuditRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, actor: str, action: str, *, org_id: int | None = None, **detail: Any
    ) -> None:
        self.session.add(AuditEntry(actor=actor, action=action, org_id=org_id, detail=detail))

    async def recent(self, org_ids: list[int] | None = None, limit: int = 100) -> list[AuditEntry]:
        query = select(AuditEntry)
        if org_ids is not None:
            query = query.where(col(AuditEntry.org_id).in_(org_ids))
        query = query.order_by(col(AuditEntry.id).desc()).limit(limit)
        return list((await self.session.exec(query)).all())
