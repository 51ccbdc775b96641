"""Admin operations shared by the command line, the chat's quick actions and the console.

Each validates its input, changes storage, writes the audit log, and raises OpError with
a catalog key when the input is wrong, so every caller can say what was wrong in the
reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.invites import display_code
from storage.models import Invite, Member, Organization, OrgKind, Rank, Role
from storage.repos import Repos
from storage.types import utcnow

ORG_NAME_LIMIT = 100


class OpError(Exception):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Links:
    telegram_username: str | None
    web_url: str

    def for_code(self, code: str) -> dict[str, str]:
        web = f"{self.web_url}/?join={code}"
        links = {"web": web}
        if self.telegram_username:
            links["telegram"] = f"https://t.me/{self.telegram_username}?start={code}"
        return links


async def create_org(
    db: Repos,
    name: str,
    *,
    kind: str = OrgKind.unit,
    parent_id: int | None = None,
    actor: str,
    timezone: str | None = None,
) -> Organization:
    name = " ".join(name.split())
    if not name or len(name) > ORG_NAME_LIMIT:
        raise OpError("ops.org_name", limit=ORG_NAME_LIMIT)
    if kind not in OrgKind.__members__:
        raise OpError("ops.org_kind", kind=kind, kinds="|".join(OrgKind))
    if parent_id is not None and await db.orgs.get(parent_id) is None:
        raise OpError("ops.no_org", org=parent_id)
    org = await db.orgs.create(name, kind=kind, parent_id=parent_id)
    if timezone is None and parent_id is not None:
        parent = await db.orgs.get(parent_id)
        timezone = parent.timezone if parent else None
    org.timezone = timezone
    await db.audit.record(actor, "org.create", org_id=org.id, name=name, kind=kind)
    return org


async def create_invite(
    db: Repos,
    org_id: int,
    role: str,
    *,
    rank: str | None = None,
    uses: int | None = None,
    valid_days: int | None = None,
    member: Member | None = None,
    actor: str,
    now: datetime | None = None,
) -> Invite:
    if await db.orgs.get(org_id) is None:
        raise OpError("ops.no_org", org=org_id)
    if role not in Role.__members__:
        raise OpError("ops.role", role=role, roles="|".join(Role))
    if rank is not None and rank not in Rank.__members__:
        raise OpError("ops.rank", rank=rank, ranks="|".join(Rank))
    if uses is not None and uses < 1:
        raise OpError("ops.uses")
    if valid_days is not None and valid_days < 1:
        raise OpError("ops.valid_days")
    expires = (now or utcnow()) + timedelta(days=valid_days) if valid_days else None
    invite = Invite(
        code="",
        org_id=org_id,
        role=role,
        rank=rank,
        max_uses=uses,
        expires_at=expires,
        member_id=member.id if member else None,
        created_by=actor,
    )
    await db.invites.create(invite)
    await db.audit.record(
        actor, "invite.create", org_id=org_id, role=role, uses=uses, member=invite.member_id
    )
    return invite


def invite_summary(invite: Invite, links: Links) -> dict[str, object]:
    found = links.for_code(invite.code)
    return {
        "code": invite.code,
        "display": display_code(invite.code),
        "org": invite.org_id,
        "role": invite.role,
        "rank": invite.rank,
        "uses": invite.max_uses,
        "expires_at": invite.expires_at.isoformat() if invite.expires_at else None,
        "link": found.get("telegram", found["web"]),
        "web_link": found["web"],
    }
