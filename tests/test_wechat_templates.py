"""Official Account pushes outside the 48-hour customer-service window (errcode 45015 from
the fake WeChat API) fall back to template messages only for the kinds of message named
in MASSLINE_WECHAT_TEMPLATES: the outbox row's kind travels to the channel. Other kinds
mark the member unreachable on the Official Account, which the broadcast's figures show
the office; a member bound elsewhere too gets the message there instead."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import SettingsError, load_settings
from handlers.broadcasts.ops import batch_counts, figures
from handlers.messages import Text
from storage.models import OutboxStatus
from storage.repos import Repos
from tests.fakes.wechat_records import MP
from tests.multi_channel import World, everything
from tests.telegram_fixtures import eventually

TEMPLATES = {"deadline_reminder": "TPL_DEADLINE:thing2", "study_reminder": "TPL_STUDY"}


async def _outcome(world: World, row_id: int) -> str | None:
    """the row has an outcome"""
    row = await world.wechat.outbox_row(row_id)
    return row.status if row is not None and row.status != OutboxStatus.queued else None


async def _broadcast_figures(world: World, broadcast_id: int) -> dict[str, int] | None:
    """the broadcast has no message queued"""

    async def read(session: AsyncSession) -> dict[str, int]:
        total: Counter[str] = Counter()
        for counts in (await batch_counts(Repos(session), broadcast_id)).values():
            total.update(counts)
        return figures(total)

    found = await world.db.run(read)
    return found if not found["queued"] else None


async def test_only_the_configured_kinds_fall_back_to_templates(tmp_path: Path) -> None:
    async with everything(tmp_path, wechat_templates=json.dumps(TEMPLATES)) as world:
        service = world.wechat
        person = service.mp_person("oAway")
        await service.joined(person)
        service.fake.close_window("oAway")  # last wrote more than 48 hours ago

        row = await service.push(
            "wechat", "oAway", [Text("对照检查材料明天截止,请按时提交。")], kind="deadline_reminder"
        )
        template = await person.expect()
        assert (template.via, template.raw["template_id"]) == ("template", "TPL_DEADLINE")
        assert template.raw["data"] == {"thing2": {"value": "对照检查材料明天截止,请按时提交。"}}
        assert await eventually(lambda: _outcome(world, row)) == OutboxStatus.sent
        tries = service.fake.calls_to(MP, "message/custom/send", to="oAway")
        assert [c.errcode for c in tries][-1] == 45015  # the window was tried first

        broadcast = await world.broadcast("本周五下午集中学习")  # no template for broadcasts
        found = await eventually(lambda: _broadcast_figures(world, broadcast))
        assert (found["sent"], found["blocked"]) == (0, 1)  # what the office sees
        identity = await service.identity("wechat", "oAway")
        assert identity is not None and not identity.reachable
        await person.expect_nothing()
        assert [r.via for r in service.fake.inbox(MP, "oAway")].count("template") == 1


async def test_with_no_templates_a_member_on_two_channels_gets_it_on_the_other(
    tmp_path: Path,
) -> None:
    async with everything(tmp_path) as world:
        service = world.wechat
        person = service.mp_person("oBoth")
        await service.joined(person)
        member = await world.member("wechat", "oBoth")
        assert member.id is not None
        user = world.telegram.fake.user(7100, "张三")
        await user.say(f"/start {await world.personal_invite(member.id)}")
        await user.expect_text("欢迎")
        await person.say("渠道")
        await person.expect_text("现在:自动")
        await person.choose("微信公众号")
        await person.expect_text("先发到微信公众号")
        service.fake.close_window("oBoth")
        await world.broadcast("明天上午九点开会")
        await user.expect_text("明天上午九点开会")  # the Official Account refused: Telegram

        async def unreachable() -> bool:
            """the Official Account account is marked unreachable"""
            identity = await service.identity("wechat", "oBoth")
            return identity is not None and not identity.reachable

        await eventually(unreachable)
        assert not [r for r in service.fake.inbox(MP, "oBoth") if "九点开会" in r.text]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("{not json", "not JSON"),
        ('["TPL"]', "dictionary"),
        ('{"Deadline Reminder": "TPL"}', "not a kind of message"),
        ('{"broadcast": "TPL with spaces"}', "not TEMPLATE_ID"),
        ('{"broadcast": "TPL:"}', "not TEMPLATE_ID"),
    ],
)
def test_wrong_templates_stop_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, words: str
) -> None:
    monkeypatch.setenv("MASSLINE_WECHAT_TEMPLATES", value)
    with pytest.raises(SettingsError, match="MASSLINE_WECHAT_TEMPLATES") as caught:
        load_settings(_env_file=None)
    assert words in str(caught.value)


def test_templates_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASSLINE_WECHAT_TEMPLATES", json.dumps({"*": "ANY", **TEMPLATES}))
    assert load_settings(_env_file=None).wechat_templates == {"*": "ANY", **TEMPLATES}
    monkeypatch.setenv("MASSLINE_WECHAT_TEMPLATES", "")
    assert load_settings(_env_file=None).wechat_templates == {}
