"""Typed settings: defaults from SPEC §5, validation at start-up, secrets kept secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, SettingsError, async_database_url, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("MASSLINE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_follow_the_spec() -> None:
    s = Settings()
    assert s.database_url == "sqlite:///data/massline.db"
    assert (s.timezone, s.language, s.log_level) == ("Asia/Shanghai", "zh", "INFO")
    assert (s.web_host, s.web_port, s.send_rate) == ("127.0.0.1", 8080, 25.0)
    assert s.telegram_token is None and s.telegram_api_url == "https://api.telegram.org"
    assert s.web_url == "http://127.0.0.1:8080"
    assert s.sqlite_path() == Path("data/massline.db")


def test_plain_urls_get_async_drivers() -> None:
    assert async_database_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_database_url("postgresql://u@h:5432/d") == "postgresql+asyncpg://u@h:5432/d"
    assert async_database_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert async_database_url("postgresql+asyncpg://u@h/d") == "postgresql+asyncpg://u@h/d"


def test_env_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MASSLINE_LANGUAGE=en\nMASSLINE_WEB_PORT=9000\n")
    monkeypatch.setenv("MASSLINE_LOG_LEVEL", "debug")
    s = load_settings()
    assert (s.language, s.web_port, s.log_level) == ("en", 9000, "DEBUG")


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("MASSLINE_TIMEZONE", "Mars/Olympus", "unknown time zone"),
        ("MASSLINE_DATABASE_URL", "mysql://x/y", "unsupported database"),
        ("MASSLINE_LANGUAGE", "fr", "MASSLINE_LANGUAGE"),
        ("MASSLINE_WEB_PORT", "eighty", "MASSLINE_WEB_PORT"),
        ("MASSLINE_SEND_RATE", "0", "MASSLINE_SEND_RATE"),
    ],
)
def test_bad_values_are_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert name in str(caught.value) and words in str(caught.value)


def test_webhook_needs_a_valid_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSLINE_TELEGRAM_WEBHOOK_URL", "https://example.org/telegram/webhook")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings()
    monkeypatch.setenv("MASSLINE_TELEGRAM_WEBHOOK_SECRET", "has spaces!")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings()
    monkeypatch.setenv("MASSLINE_TELEGRAM_WEBHOOK_SECRET", "s3cret_-ok")
    assert load_settings().telegram_webhook_secret is not None


def test_secrets_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSLINE_TELEGRAM_TOKEN", "123:SECRET-TOKEN")
    monkeypatch.setenv("MASSLINE_WECOM_SECRET", "wecom-secret")
    s = load_settings()
    assert "SECRET-TOKEN" not in repr(s) and "wecom-secret" not in str(s.model_dump())
    assert s.telegram_token.get_secret_value() == "123:SECRET-TOKEN"


def test_blank_optional_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSLINE_TELEGRAM_TOKEN", "")
    monkeypatch.setenv("MASSLINE_TELEGRAM_WEBHOOK_URL", " ")
    s = load_settings()
    assert s.telegram_token is None and s.telegram_webhook_url is None
