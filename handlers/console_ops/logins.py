"""Who may log in to the web console, and with what: argon2 password hashes, and the
one-time links (valid 24 hours, single use) through which a person sets their password.
Only the SHA-256 of a link's secret is stored, so the table alone opens nothing."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import col, delete, select, update

from handlers.admin_ops import OpError
from storage.console_models import ConsoleLogin, ConsoleSession, ConsoleToken
from storage.models import Member, Role
from storage.repos import Repos
from storage.types import utcnow

CONSOLE_ROLES = frozenset({Role.admin, Role.leader, Role.supervisor})
PASSWORD_MIN, PASSWORD_MAX = 10, 128
NAME_LIMIT = 60
LINK_HOURS = 24
LINK_PATH = "/console/set-password/"
# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): about 0.1 s on a small server, where
# argon2-cffi's default (64 MiB, 3 passes, 4 lanes) takes over half a second on two cores.
# Each hash records its parameters, so raising them later still verifies older hashes.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _dummy() -> str:
    """Verified when nobody of that name has a login, so a miss takes as long as a hit."""
    return _hasher.hash(secrets.token_urlsafe(16))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def password_problem(password: str) -> OpError | None:
    """What is wrong with a new password, if anything."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return OpError("console.password_length", least=PASSWORD_MIN, most=PASSWORD_MAX)
    if len(set(password)) < 4 or password.isdigit():
        return OpError("console.password_weak")
    return None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


async def candidates(db: Repos, name: str) -> list[tuple[Member, ConsoleLogin]]:
    """Active people of this name who may use the console and have a password."""
    query = (
        select(Member, ConsoleLogin)
        .join(ConsoleLogin, col(ConsoleLogin.member_id) == Member.id)
        .where(Member.name == name, col(Member.active), col(Member.role).in_(CONSOLE_ROLES))
        .order_by(col(Member.id))
        .limit(5)
    )
    return [(m, login) for m, login in (await db.session.exec(query)).all()]


async def set_password(db: Repos, member: Member, password: str, *, actor: str) -> None:
    """Store a new password and end every session the person had."""
    if (problem := password_problem(password)) is not None:
        raise problem
    login = await db.session.get(ConsoleLogin, member.id)
    login = login or ConsoleLogin(member_id=member.id, password_hash="")  # type: ignore[arg-type]
    login.password_hash, login.updated_at = await hash_password(password), utcnow()
    db.session.add(login)
    await end_sessions(db, member.id or 0)
    await db.audit.record(actor, "console.password", org_id=member.org_id, member=member.id)


async def end_sessions(db: Repos, member_id: int) -> None:
    await db.session.exec(delete(ConsoleSession).where(col(ConsoleSession.member_id) == member_id))  # type: ignore[call-overload]


async def console_user(
    db: Repos, org_id: int, role: str, name: str, password: str, *, actor: str
) -> tuple[Member, bool]:
    """The member of that name and role in the organization, created if there is none,
    with this console password. Returns the member and whether it was created."""
    if role not in CONSOLE_ROLES:
        raise OpError("console.role", role=role, roles="|".join(sorted(CONSOLE_ROLES)))
    if await db.orgs.get(org_id) is None:
        raise OpError("ops.no_org", org=org_id)
    name = " ".join(name.split())
    if not name or len(name) > NAME_LIMIT:
        raise OpError("console.name_invalid", limit=NAME_LIMIT)
    if (problem := password_problem(password)) is not None:
        raise problem
    query = select(Member).where(
        Member.org_id == org_id, Member.name == name, Member.role == role, col(Member.active)
    )
    member = (await db.session.exec(query.order_by(col(Member.id)))).first()
    created = member is None
    if member is None:
        member = await db.members.add(Member(org_id=org_id, name=name, role=role))
        await db.audit.record(actor, "member.create", org_id=org_id, member=member.id, role=role)
    await set_password(db, member, password, actor=actor)
    return member, created


async def new_link(db: Repos, member: Member, web_url: str, now: datetime) -> str:
    """A fresh one-time link; any older unused link of the person stops working."""
    await db.session.exec(  # type: ignore[call-overload]
        delete(ConsoleToken).where(
            col(ConsoleToken.member_id) == member.id, col(ConsoleToken.used_at).is_(None)
        )
    )
    secret = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=LINK_HOURS)
    db.session.add(ConsoleToken(token_hash=digest(secret), member_id=member.id, expires_at=expires))  # type: ignore[arg-type]
    await db.session.flush()
    return f"{web_url}{LINK_PATH}{secret}"


async def link_holder(db: Repos, secret: str, now: datetime) -> tuple[ConsoleToken, Member] | None:
    """The unused, unexpired link and its person, who must still be allowed in."""
    if not 20 <= len(secret) <= 100:
        return None
    token = await db.session.get(ConsoleToken, digest(secret))
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    member = await db.members.get(token.member_id)
    if member is None or not member.active or member.role not in CONSOLE_ROLES:
        return None
    return token, member


async def use_link(db: Repos, token: ConsoleToken, now: datetime) -> bool:
    """Spend the link; False when another request spent it first."""
    spent = await db.session.exec(  # type: ignore[call-overload]
        update(ConsoleToken)
        .where(
            col(ConsoleToken.token_hash) == token.token_hash, col(ConsoleToken.used_at).is_(None)
        )
        .values(used_at=now)
    )
    return bool(spent.rowcount)
