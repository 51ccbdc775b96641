"""Telegram end to end, webhook mode: the fake Bot API POSTs updates to our own aiohttp app.

The bot registers ``/telegram/webhook`` with a secret at start-up; a request without the
right ``X-Telegram-Bot-Api-Secret-Token`` is refused with 403 before its body is read,
and its update never reaches the conversation. The outbox delivery tests live here too:
pushes go out through the same channel whichever way updates come in.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.channels.base import Blocked, RetryLater, Undeliverable
from handlers.messages import Button, File, Image, Reply, Text, rows
from storage.models import Invite, OutboxMessage, OutboxStatus
from tests.fakes import Fault
from tests.fakes.telegram_objects import TINY_PNG
from tests.telegram_fixtures import WEBHOOK_SECRET, Service, eventually, running_service


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    async with running_service(tmp_path, webhook=True) as running:
        yield running


async def test_webhook_is_registered_with_its_secret_and_nobody_polls(service: Service) -> None:
    fake = service.fake
    assert fake.webhook is not None
    assert fake.webhook["url"] == f"{service.url}/telegram/webhook"
    assert fake.webhook["secret_token"] == WEBHOOK_SECRET
    assert set(fake.allowed_updates or []) >= {"message", "callback_query"}
    assert {c["command"] for c in fake.my_commands()} >= {"start", "help", "cancel", "lang"}
    assert {c["command"] for c in fake.my_commands("en")} >= {"start", "help", "cancel", "lang"}
    user = service.fake.user(2001, "周八")
    await user.say("/start")
    await user.expect_text("邀请码")
    assert fake.calls_to("getUpdates") == []
    assert fake.webhook_log and all(status == 200 for _, status in fake.webhook_log)


async def test_conversation_through_the_webhook(service: Service) -> None:
    user = service.fake.user(2002, "吴九")
    await user.say(f"/start {service.codes['member']}")
    welcome = await user.expect_text(["欢迎你,吴九", "测试规划局"])
    assert {"提意见", "帮助"} <= set(welcome.buttons)
    await user.say("/help")
    await user.expect_text("你现在可以")
    query = await user.tap("帮助")
    await user.answered(query)
    await user.expect_text("你现在可以")
    await user.say("/lang en")
    await user.expect_text("The interface language is now English")
    await user.say("/cancel")
    await user.expect_text("There is nothing in progress to cancel")
    await user.say("/nonsense")
    await user.expect_text("There is no command “/nonsense”")
    await user.expect_text("What would you like to do?")
    await user.send_sticker()
    await user.expect_text("I don't need a picture or file right now")
    await user.expect()
    await user.say("x" * 5000)
    await user.expect_text("This message is too long (5000 characters; the limit is 4096)")


async def test_webhook_group_chat_gets_private_only(service: Service) -> None:
    user = service.fake.user(2003, "郑十")
    group = service.fake.group(user, -4002)
    await group.say("你好")
    await group.expect_text("私聊")


async def test_wrong_or_missing_secret_is_403_and_the_update_is_not_processed(
    service: Service,
) -> None:
    fake = service.fake
    user = fake.user(2004, "冯十一")
    message = user.compose(**user.typed(f"/start {service.codes['member']}"))
    update = {"update_id": 900001, "message": message}
    assert await fake.post_webhook(update, secret="wrong-secret") == 403
    assert await fake.post_webhook(update, secret=None) == 403
    assert await fake.post_webhook(update, secret=WEBHOOK_SECRET[:-1]) == 403
    # Over the app's 1 MiB body limit: 403, not 413, so the secret came before the body.
    huge = json.dumps({"update_id": 900002, "padding": "x" * (2 * 1024 * 1024)}).encode()
    assert await fake.post_webhook(huge, secret="wrong-secret") == 403
    await user.expect_nothing()
    assert await service.identity(user) is None
    assert await _uses(service, service.codes["member"]) == 0

    assert await fake.post_webhook(update, secret=WEBHOOK_SECRET) == 200
    await user.expect_text("欢迎你,冯十一")
    assert await _uses(service, service.codes["member"]) == 1


async def test_malformed_body_with_the_right_secret_is_400(service: Service) -> None:
    fake = service.fake
    for body in (b"not json", b"[1, 2]", b'"a string"', b"{}"):
        assert await fake.post_webhook(body, secret=WEBHOOK_SECRET) == 400, body
    user = await service.joined(2005)  # and the service is still fine
    await user.say("/help")
    await user.expect_text("你现在可以")


# Delivery (the outbox through the channel) is the same in either mode.


async def test_long_push_is_split_in_order_with_buttons_on_the_last(service: Service) -> None:
    user = await service.joined(1015)
    text = "甲" * 4000 + "\n" + "乙" * 3000
    row = await service.push(user, [Text(text, rows(Button("帮助", "cmd:help")))])
    first, second = await user.expect(), await user.expect()
    assert (first.text, first.keyboard) == ("甲" * 4000, [])
    assert second.text == "乙" * 3000 and second.buttons == ["帮助"]
    assert first.message_id < second.message_id

    async def sent() -> OutboxMessage | None:
        found = await service.outbox_row(row)
        return found if found and found.status == OutboxStatus.sent else None

    assert (await eventually(sent)).channel == "telegram"
    await user.tap("帮助")
    await user.expect_text("你现在可以")


async def test_long_push_without_line_breaks_is_cut_at_the_limit(service: Service) -> None:
    user = await service.joined(1016)
    text = "".join(str(i % 10) for i in range(9000))
    await service.push(user, [Text(text)])
    parts = [await user.expect() for _ in range(3)]
    assert [len(p.text) for p in parts] == [4096, 4096, 808]
    assert "".join(p.text for p in parts) == text


async def test_blocked_user_marks_identity_unreachable_and_is_not_retried(
    service: Service,
) -> None:
    user = await service.joined(1017)
    fake = service.fake
    fake.block(user.chat_id)
    before = len(fake.calls_to("sendMessage", user.chat_id))
    first = await service.push(user, [Text("第一条通知")])
    await _unreachable(service, first)
    identity = await service.identity(user)
    assert identity is not None and identity.reachable is False
    second = await service.push(user, [Text("第二条通知")])
    await _unreachable(service, second)
    await user.expect_nothing()
    attempts = fake.calls_to("sendMessage", user.chat_id)[before:]
    assert [(c.status, c.error) for c in attempts] == [(403, Fault.blocked().description)]

    # Unblocking and writing again makes the chat reachable for later pushes.
    fake.blocked.discard(user.chat_id)
    await user.say("/help")
    await user.expect_text("你现在可以")
    identity = await service.identity(user)
    assert identity is not None and identity.reachable is True
    await service.push(user, [Text("第三条通知")])
    await user.expect_text("第三条通知")


async def _unreachable(service: Service, row_id: int) -> OutboxMessage:
    async def check() -> OutboxMessage | None:
        """the outbox row is marked unreachable"""
        found = await service.outbox_row(row_id)
        return found if found and found.status == OutboxStatus.unreachable else None

    return await eventually(check)


async def test_images_and_files_are_uploaded_as_multipart(service: Service) -> None:
    user = await service.joined(1019)
    pdf = b"%PDF-1.4\n% ledger\n"
    replies: list[Reply] = [Image(TINY_PNG, caption="整改进度"), File(pdf, "台帐.pdf", "本月台帐")]
    await service.channel.deliver(str(user.chat_id), replies)
    photo, document = await user.expect(), await user.expect()
    assert (photo.method, photo.text, photo.upload and photo.upload.data) == (
        "sendPhoto",
        "整改进度",
        TINY_PNG,
    )
    assert document.method == "sendDocument" and document.text == "本月台帐"
    assert document.raw["document"]["file_name"] == "台帐.pdf"
    bot = service.channel.app.bot
    file = await bot.get_file(document.raw["document"]["file_id"])
    assert bytes(await file.download_as_bytearray()) == pdf


async def test_delivery_errors_map_to_what_the_deliverer_expects(service: Service) -> None:
    user = await service.joined(1020)
    channel, fake, chat = service.channel, service.fake, str(user.chat_id)
    fake.inject("sendMessage", Fault.server_error(), Fault.dropped())
    fake.inject("sendMessage", Fault(400, "Bad Request: chat not found"), Fault.blocked())
    with pytest.raises(RetryLater):
        await channel.deliver(chat, [Text("一")])
    with pytest.raises(RetryLater):  # Telegram got it, but the answer was lost
        await channel.deliver(chat, [Text("二")])
    assert (await user.expect()).text == "二"
    with pytest.raises(Undeliverable):
        await channel.deliver(chat, [Text("三")])
    with pytest.raises(Blocked):
        await channel.deliver(chat, [Text("四")])
    await channel.deliver(chat, [Text("五")])
    await user.expect_text("五")
    await user.expect_nothing(0.1)


async def _uses(service: Service, code: str) -> int:
    async def look(session: AsyncSession) -> int:
        invite = (await session.exec(select(Invite).where(Invite.code == code))).one()
        return invite.used_count

    return await service.db.run(look)
