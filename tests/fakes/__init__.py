"""Fake services the tests start: a Telegram Bot API server (see telegram_api)."""

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_objects import Upload
from tests.fakes.telegram_records import Call, Fault, Sent
from tests.fakes.telegram_users import FakeUser

__all__ = ["Call", "FakeTelegram", "FakeUser", "Fault", "Sent", "Upload"]
