"""The web console's own tables: passwords of the people who may log in, one-time links to
set them, and server-side sessions (the cookie holds a random id; only its hash is here)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class ConsoleLogin(SQLModel, table=True):
    __tablename__ = "console_login"
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    password_hash: str = Field(max_length=200)  # argon2
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ConsoleToken(SQLModel, table=True):
    """A one-time link to set a password, sent to the person in chat."""

    __tablename__ = "console_token"
    token_hash: str = Field(primary_key=True, max_length=64)  # sha256 of the link's secret
    member_id: int = Field(foreign_key="member.id", index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsoleSession(SQLModel, table=True):
    __tablename__ = "console_session"
    id_hash: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie's value
    member_id: int = Field(foreign_key="member.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
