"""Invite codes: how a person's chat account becomes a member."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Invite
from storage.types import utcnow

# Crockford's base32: no I, L, O or U, so a code read aloud or typed on a phone survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text: str) -> str | None:
    """``abcde-fghjk`` → ``ABCDEFGHJK``; None when it cannot be an invite code."""
    code = "".join(ch for ch in text.upper() if ch not in " -_").translate(_LOOKALIKES)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


class InviteProblem(StrEnum):
    unknown = "unknown"
    expired = "expired"
    used_up = "used_up"
    revoked = "revoked"


@dataclass(frozen=True)
class InviteCheck:
    invite: Invite | None
    problem: InviteProblem | None


class InviteRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, invite: Invite) -> Invite:
        for _ in range(5):
            invite.code = new_code()
            if await self.by_code(invite.code) is None:
                break
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def by_code(self, code: str) -> Invite | None:
        return (await self.session.exec(select(Invite).where(Invite.code == code))).first()

    async def for_member(self, member_id: int) -> Invite | None:
        query = select(Invite).where(Invite.member_id == member_id, ~Invite.revoked)  # type: ignore[operator]
        return (await self.session.exec(query)).first()

    async def check(self, code: str, now: datetime | None = None) -> InviteCheck:
        invite = await self.by_code(code)
        now = now or utcnow()
        if invite is None:
            return InviteCheck(None, InviteProblem.unknown)
        if invite.revoked:
            return InviteCheck(invite, InviteProblem.revoked)
        if invite.expires_at is not None and invite.expires_at <= now:
            return InviteCheck(invite, InviteProblem.expired)
        if invite.max_uses is not None and invite.used_count >= invite.max_uses:
            return InviteCheck(invite, InviteProblem.used_up)
        return InviteCheck(invite, None)

    async def use(self, invite: Invite) -> None:
        invite.used_count += 1
        self.session.add(invite)
        await self.session.flush()
