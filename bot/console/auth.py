"""Console sessions and logins.

The session cookie holds a random value; only its SHA-256 is stored (console_session), with
the session's CSRF token, so reading the database lets nobody take a session over. Every
login gets a new value and drops the one the browser came with (against session fixation).
The cookie is HttpOnly, SameSite=Strict, limited to /console, and Secure over https.
Failed logins are counted in memory, per address and per name.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.console_ops.logins import CONSOLE_ROLES, digest
from handlers.state import AttemptLimiter
from storage.console_models import ConsoleSession
from storage.db import Database
from storage.models import Member, Organization, Role
from storage.repos import Repos

COOKIE = "massline_console"
PRE_COOKIE = "massline_console_pre"  # the login forms' CSRF token, before any session
LANG_COOKIE = "massline_console_lang"
COOKIE_PATH = "/console"
SESSION_HOURS = 12
FAILS_PER_NAME, FAILS_PER_ADDRESS, FAIL_WINDOW = 5, 20, 15 * 60.0


@dataclass
class Viewer:
    """The person logged in, and the organizations they may see."""

    member: Member
    org: Organization
    orgs: list[Organization]
    session: str  # the stored hash: the key for notes and nonces, never sent out
    csrf: str

    @property
    def role(self) -> str:
        return self.member.role

    @property
    def org_ids(self) -> list[int]:
        return [o.id for o in self.orgs if o.id is not None]

    @property
    def is_admin(self) -> bool:
        return self.member.role == Role.admin

    def sees(self, org_id: int | None) -> bool:
        return org_id is not None and org_id in self.org_ids


class Sessions:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def start(self, session: AsyncSession, member: Member, old: str | None) -> str:
        """A new session for the member in the caller's transaction; returns the cookie."""
        if old:
            stale = await session.get(ConsoleSession, digest(old))
            if stale is not None:
                await session.delete(stale)
        value = secrets.token_urlsafe(32)
        now = self.clock()
        session.add(
            ConsoleSession(
                id_hash=digest(value),
                member_id=member.id,  # type: ignore[arg-type]
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + timedelta(hours=SESSION_HOURS),
            )
        )
        await session.flush()
        return value

    async def load(self, value: str | None) -> Viewer | None:
        if not value or len(value) > 100:
            return None

        async def look(session: AsyncSession) -> Viewer | None:
            row = await session.get(ConsoleSession, digest(value))
            if row is None:
                return None
            db = Repos(session)
            member = await db.members.get(row.member_id)
            if row.expires_at <= self.clock() or member is None or not _allowed(member):
                await session.delete(row)
                return None
            org = await db.orgs.get(member.org_id)
            if org is None or org.id is None:
                return None
            ids = await db.orgs.subtree_ids(org.id) if member.role == Role.supervisor else [org.id]
            orgs = [o for i in ids if (o := await db.orgs.get(i)) is not None]
            return Viewer(member, org, orgs, row.id_hash, row.csrf_token)

        return await self.db.run(look)

    async def end(self, value: str | None) -> None:
        if not value or len(value) > 100:
            return

        async def drop(session: AsyncSession) -> None:
            row = await session.get(ConsoleSession, digest(value))
            if row is not None:
                await session.delete(row)

        await self.db.run(drop)


def _allowed(member: Member) -> bool:
    return member.active and member.role in CONSOLE_ROLES


class LoginLimiter:
    """Failed logins per address and per name, in memory, forgotten after the window."""

    def __init__(self) -> None:
        self.by_name = AttemptLimiter(FAILS_PER_NAME, FAIL_WINDOW)
        self.by_address = AttemptLimiter(FAILS_PER_ADDRESS, FAIL_WINDOW)

    def blocked(self, address: str, name: str) -> bool:
        return self.by_address.blocked(address) or self.by_name.blocked(name.casefold())

    def failed(self, address: str, name: str) -> None:
        self.by_address.hit(address)
        self.by_name.hit(name.casefold())


def same_token(given: object, expected: str | None) -> bool:
    return (
        isinstance(given, str)
        and bool(expected)
        and hmac.compare_digest(given.encode(), (expected or "").encode())
    )


def set_cookie(response: web.StreamResponse, name: str, value: str, *, secure: bool) -> None:
    response.set_cookie(
        name,
        value,
        max_age=SESSION_HOURS * 3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=secure,
    )


def safe_next(raw: str) -> str:
    """Where to go after logging in: a console page of this site, nothing else."""
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or "\\" in raw or not parts.path.startswith("/console"):
        return "/console"
    if parts.path.startswith("//"):
        return "/console"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def forget_cookie(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path=COOKIE_PATH)
