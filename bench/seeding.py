"""Rows straight into a migrated database for the benchmarks: organizations, members with a
chat account each, study sessions; in a few statements each, through SQLAlchemy Core."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import ChannelIdentity, Member, Organization
from storage.study_models import StudySession
from storage.types import utcnow

CHUNK = 2_000
FIRST_CHAT = 700_000_000


def defaults(model: type[SQLModel], **values: Any) -> dict[str, Any]:
    """A row's column values with the model's defaults filled in (Core inserts skip them)."""
    return model(**values).model_dump(exclude={"id"})


async def insert_rows(
    session: AsyncSession, model: type[SQLModel], rows: list[dict[str, Any]]
) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.exec(insert(model).values(rows[start : start + CHUNK]))  # type: ignore[call-overload]


async def organizations(db: Database, count: int, **settings: Any) -> list[int]:
    async def add(session: AsyncSession) -> list[int]:
        rows = [defaults(Organization, name=f"基层单位{i + 1}", timezone="Asia/Shanghai",
                         **settings) for i in range(count)]  # fmt: skip
        await insert_rows(session, Organization, rows)
        query = select(Organization.id).order_by(col(Organization.id))
        return [i for i in (await session.exec(query)).all() if i is not None]

    return await db.run(add)


async def members(
    db: Database, org_ids: list[int], per_org: int, *, channel: str = "telegram"
) -> dict[int, int]:
    """``per_org`` members in each organization, each with one chat account on ``channel``
    (external ids counting up from FIRST_CHAT); returns member id → chat id."""

    async def add(session: AsyncSession) -> dict[int, int]:
        now = utcnow()
        rows = [
            {"org_id": org, "name": f"成员{org}-{i}", "role": "member", "active": True,
             "is_main_leader": False, "last_channel": channel, "created_at": now}
            for org in org_ids for i in range(per_org)
        ]  # fmt: skip
        first = (await session.exec(select(Member.id).order_by(col(Member.id).desc()))).first()
        await insert_rows(session, Member, rows)
        query = select(Member.id).where(col(Member.id) > (first or 0)).order_by(col(Member.id))
        ids = list((await session.exec(query)).all())
        chats = {member_id: FIRST_CHAT + n for n, member_id in enumerate(ids)}
        accounts = [{"channel": channel, "external_id": str(chat), "member_id": member_id,
                     "reachable": True, "created_at": now, "last_seen_at": now}
                    for member_id, chat in chats.items()]  # fmt: skip
        await insert_rows(session, ChannelIdentity, accounts)
        return chats  # type: ignore[return-value]

    return await db.run(add)


async def sessions(db: Database, org_ids: list[int], starts_at: datetime) -> None:
    """One study session per organization, all starting at ``starts_at``."""

    async def add(session: AsyncSession) -> None:
        rows = [defaults(StudySession, org_id=org, title="第二专题集中学习", place="三楼会议室",
                         starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
                         checkin_secret=secrets.token_hex(16)) for org in org_ids]  # fmt: skip
        await insert_rows(session, StudySession, rows)

    await db.run(add)
