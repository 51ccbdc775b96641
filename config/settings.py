"""Typed settings, read from MASSLINE_* variables and a .env file, validated at start-up."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, Json, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["zh", "en"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

DEFAULT_SQLITE_PATH = "data/massline.db"
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TEMPLATE_KIND = re.compile(r"^(\*|[a-z][a-z0-9_]{0,31})$")  # an outbox kind, or * for any
_TEMPLATE = re.compile(r"^[A-Za-z0-9_-]{1,128}(:[A-Za-z][A-Za-z0-9_]{0,31})?$")  # ID[:field]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MASSLINE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    timezone: str = "Asia/Shanghai"
    language: Language = "zh"
    log_level: LogLevel = "INFO"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_bot_username: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None

    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None
    wecom_api_url: str = "https://qyapi.weixin.qq.com"
    wechat_app_id: str | None = None
    wechat_app_secret: SecretStr | None = None
    wechat_token: SecretStr | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_api_url: str = "https://api.weixin.qq.com"
    # outbox kind (or "*") → "TEMPLATE_ID" or "TEMPLATE_ID:field", for pushes outside the
    # Official Account's 48-hour window; a kind not named here is not sent as a template
    wechat_templates: Json[dict[str, str]] = Field(default_factory=dict)

    send_rate: float = Field(default=25.0, gt=0, le=1000)  # Telegram, or a channel without its own
    wecom_send_rate: float = Field(default=30.0, gt=0, le=1000)  # see docs/wechat.md
    wechat_send_rate: float = Field(default=20.0, gt=0, le=1000)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (try Asia/Shanghai)") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_url(cls, value: str) -> str:
        async_database_url(value)
        return value

    @field_validator(
        "telegram_token",
        "telegram_webhook_url",
        "telegram_bot_username",
        "public_url",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("wechat_templates", mode="before")
    @classmethod
    def _templates_as_json(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return "{}"
        if isinstance(value, str):
            try:
                json.loads(value)
            except ValueError:
                raise ValueError('not JSON; write e.g. {"*": "TEMPLATE_ID"}') from None
        return json.dumps(value) if isinstance(value, dict) else value

    @field_validator("wechat_templates")
    @classmethod
    def _templates_well_formed(cls, value: dict[str, str]) -> dict[str, str]:
        for kind, template in value.items():
            if not _TEMPLATE_KIND.match(kind):
                raise ValueError(f"{kind!r} is not a kind of message (e.g. deadline_reminder) or *")
            if not _TEMPLATE.match(template.strip()):
                raise ValueError(f"{kind}: {template!r} is not TEMPLATE_ID or TEMPLATE_ID:field")
        return {kind: template.strip() for kind, template in value.items()}

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url:
            secret = self.telegram_webhook_secret
            if secret is None or not _WEBHOOK_SECRET.match(secret.get_secret_value()):
                raise ValueError(
                    "MASSLINE_TELEGRAM_WEBHOOK_SECRET must be set (1-256 of A-Z a-z 0-9 _ -) "
                    "when MASSLINE_TELEGRAM_WEBHOOK_URL is set"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def async_database_url(self) -> str:
        return async_database_url(self.database_url)

    @property
    def web_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.web_host in ("0.0.0.0", "::", "") else self.web_host  # noqa: S104  (compares, binds nothing)
        return f"http://{host}:{self.web_port}"

    def sqlite_path(self) -> Path | None:
        """The database file when the engine is SQLite on disk, else None."""
        url = self.async_database_url
        prefix = "sqlite+aiosqlite:///"
        if not url.startswith(prefix) or url.endswith(":memory:"):
            return None
        return Path(url.removeprefix(prefix))


def async_database_url(url: str) -> str:
    """Choose the async driver for a plain sqlite:/// or postgresql:// URL (SPEC §5)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        return f"postgresql+asyncpg://{rest}"
    raise ValueError(f"unsupported database {scheme!r}: use sqlite:///PATH or postgresql://...")


class SettingsError(Exception):
    """Settings that cannot start the service, explained one line per problem."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "settings"
            name = f"MASSLINE_{field.upper()}" if error["loc"] else "settings"
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise SettingsError("\n".join(lines)) from None
