"""The monthly bulletin (月通报) for the web console: the compiled bulletins of the
organizations a person may see, compiling one now with the chat's and the command line's
functions (drafted from storage, drawn outside any transaction, then kept), publishing
it through the chat's own handler, and its PDF."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from handlers.console_ops.context import OpContext, actor, finish, stamp
from handlers.ledger import bulletin_chat
from handlers.ledger.bulletin import BulletinParts, Draft, draft_bulletin, store_bulletin
from handlers.schedule import org_zone
from storage.ledger_models import Bulletin
from storage.models import Organization
from storage.repos import Repos

LISTED = 60


@dataclass(frozen=True)
class Listed:
    id: int
    org_id: int
    month: str
    published: bool
    created_at: datetime


async def listed(db: Repos, org_ids: list[int]) -> list[Listed]:
    """Newest first, without their pictures and spreadsheets."""
    columns = (Bulletin.id, Bulletin.org_id, Bulletin.month, Bulletin.published,
               Bulletin.created_at)  # fmt: skip
    query = (
        select(*columns)
        .where(col(Bulletin.org_id).in_(org_ids))
        .order_by(col(Bulletin.id).desc())
        .limit(LISTED)
    )
    return [Listed(*row) for row in (await db.session.exec(query)).all()]


async def draft(ctx: OpContext, org: Organization) -> Draft:
    """What the bulletin of ``org`` and its subtree says today (read from storage)."""
    return await draft_bulletin(ctx.db, org.id or 0, ctx.now(), org_zone(org), ctx.lang)


async def keep(ctx: OpContext, org: Organization, parts: BulletinParts) -> int:
    """Store what was drawn, with an audit entry: a compiled bulletin is a new record."""
    assert ctx.member is not None
    stored = await store_bulletin(ctx.db, org.id or 0, parts)
    await ctx.db.audit.record(actor(ctx.member), "bulletin.compile", org_id=org.id,
                              bulletin=stored.bulletin_id, month=stored.month)  # fmt: skip
    stamp(ctx, org.id)
    return stored.bulletin_id or 0


async def publish(ctx: OpContext, bulletin: Bulletin) -> list[str]:
    """公示: through the chat's own handler and its audit entry."""
    ctx.params = (str(bulletin.id),)
    await bulletin_chat.publish(ctx)
    return await finish(ctx, "ledger.bulletin_published", org_id=bulletin.org_id,
                        action="bulletin.publish")  # fmt: skip
