"""Each app keeps its own send rate (MASSLINE_WECOM_SEND_RATE, MASSLINE_WECHAT_SEND_RATE,
MASSLINE_SEND_RATE for Telegram): one broadcast to members on WeCom and on Telegram never
exceeds WeCom's rate at the fake WeChat API in any second, while Telegram goes at its own,
faster pace at the same time — a slow channel's queue does not hold the fast one back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.app import DELIVERER
from config.settings import Settings, SettingsError, load_settings
from storage.models import OutboxStatus
from tests.fakes.wechat_records import WECOM
from tests.multi_channel import World, everything, seed_accounts
from tests.telegram_fixtures import eventually
from tests.test_delivery_support import busiest_second, open_chats, seed_members

WECOM_RATE, TELEGRAM_RATE = 8, 40
ON_WECOM, ON_TELEGRAM = 48, 120


async def _all_sent(world: World) -> bool:
    """every broadcast row was sent"""
    rows = await world.outbox("broadcast:")
    return len(rows) == ON_WECOM + ON_TELEGRAM and all(r.status == OutboxStatus.sent for r in rows)


async def test_wecom_keeps_its_rate_while_telegram_keeps_its_own(tmp_path: Path) -> None:
    rates = {"send_rate": TELEGRAM_RATE, "wecom_send_rate": WECOM_RATE}
    async with everything(tmp_path, **rates) as world:
        users = [f"wx{n:03}" for n in range(ON_WECOM)]
        await seed_accounts(world.db, world.org_id, "wecom", users)  # first in the outbox
        chats = await seed_members(world.db, world.org_id, ON_TELEGRAM)
        open_chats(world.telegram.fake, chats.values())
        started = time.monotonic()
        await world.broadcast("本周五下午集中学习,请准时参加。")
        await eventually(lambda: _all_sent(world), within=ON_WECOM / WECOM_RATE + 15)

        fake = world.wechat.fake
        wecom = [c for c in fake.calls_to(WECOM, "message/send") if c.to in users]
        assert sorted(c.to for c in wecom) == users and all(c.errcode == 0 for c in wecom)
        assert busiest_second(wecom) <= WECOM_RATE  # type: ignore[arg-type]
        wecom_took = max(c.at for c in wecom) - started
        assert wecom_took >= (ON_WECOM - WECOM_RATE) / WECOM_RATE  # paced, not merely capped

        sends = world.telegram.fake.calls_to("sendMessage")
        telegram = [c for c in sends if c.chat_id in set(chats.values())]
        assert len(telegram) == ON_TELEGRAM
        busiest = busiest_second(telegram)
        assert WECOM_RATE < busiest <= TELEGRAM_RATE  # its own rate, not WeCom's
        telegram_took = max(c.at for c in telegram) - started
        print(f"\nWeCom {ON_WECOM} at {WECOM_RATE}/s: {wecom_took:.1f}s; Telegram {ON_TELEGRAM} "
              f"at {TELEGRAM_RATE}/s: {telegram_took:.1f}s (busiest second {busiest})")  # fmt: skip
        assert telegram_took < min(wecom_took, ON_TELEGRAM / WECOM_RATE / 2)  # not held back
        paces = world.telegram.app[DELIVERER].paces
        assert paces["wecom"].interval == pytest.approx(1 / WECOM_RATE)


def test_defaults_and_bad_rates_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.wecom_send_rate, settings.wechat_send_rate) == (30.0, 20.0)
    for name in ("MASSLINE_WECOM_SEND_RATE", "MASSLINE_WECHAT_SEND_RATE"):
        monkeypatch.setenv(name, "0")
        with pytest.raises(SettingsError, match=name):
            load_settings(_env_file=None)
        monkeypatch.setenv(name, "12.5")
        assert getattr(load_settings(_env_file=None), name.lower()[9:]) == 12.5
