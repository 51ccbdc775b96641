"""A broadcast with a picture (issue 4): the office sends it from Telegram with a caption,
every member gets the text and the same picture once, and the picture is stored once;
what cannot be carried is refused;
the file link serves only with its token."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.admin_ops import OpError
from handlers.broadcasts.ops import create_broadcast
from storage.files import StoredFile, link_path
from storage.repos import Repos
from storage.types import utcnow
from tests.fakes import FakeUser, Sent
from tests.telegram_fixtures import eventually
from tests.test_delivery_support import open_chats, seed_members, serving

POSTER = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # what the admin sends, byte for byte
CAPTION = "本周五学习安排见海报。"


async def _said(user: FakeUser, words: str, after: int) -> Sent:
    async def look() -> Sent | None:
        """the bot wrote it"""
        return next((s for s in user.inbox[after:] if words in s.text), None)

    return await eventually(look, within=10)


async def _tap(user: FakeUser, label: str) -> int:
    async def shown() -> bool:
        """the button is there"""
        return any(label in s.buttons for s in user.inbox)

    await eventually(shown, within=10)
    mark = len(user.inbox)
    await user.tap(label)
    return mark


async def test_a_picture_goes_out_with_the_broadcast_to_everyone_once(tmp_path: Path) -> None:
    count = 12
    async with serving(tmp_path, send_rate=30) as service:
        chats = await seed_members(service.db, service.org_id, count)
        open_chats(service.fake, chats.values())
        admin = await service.joined(9001, "周敏", role="admin")
        mark = len(admin.inbox)
        await admin.say("/broadcast")
        await _said(admin, "可以附一张图片或一个文件", mark)
        mark = len(admin.inbox)
        await admin.send_photo(POSTER, caption=CAPTION)
        await _said(admin, "发给谁", mark)  # the caption was taken as the text
        mark = await _tap(admin, f"全体成员({count + 1} 人)")
        mark = await _tap(admin, "现在发送")
        mark = await _tap(admin, "只发一次")
        review = await _said(admin, "请确认这条广播", mark - 1)
        assert CAPTION in review.text and "附:一张图片或一个文件" in review.text
        mark = await _tap(admin, "确认发送")
        await _said(admin, f"开始发送,共 {count + 1} 人", mark)

        def photos() -> dict[int, list[Sent]]:
            return {chat: [s for s in service.fake.chats[chat].inbox if s.method == "sendPhoto"]
                    for chat in chats.values()}  # fmt: skip

        async def all_out() -> bool:
            """every member has the picture"""
            return all(photos().values())

        await eventually(all_out, within=20)
        for chat, got in photos().items():
            texts = [s.text for s in service.fake.chats[chat].inbox if CAPTION in s.text]
            assert len(got) == 1 and len(texts) == 1, chat
            assert got[0].upload is not None and got[0].upload.data == POSTER

        async def stored(session: AsyncSession) -> tuple[int, StoredFile]:
            total = (await session.exec(select(func.count()).select_from(StoredFile))).one()
            row = (await session.exec(select(StoredFile))).one()
            return total, row

        total, row = await service.db.run(stored)
        assert total == 1 and row.kind == "image" and row.data == POSTER

        async with aiohttp.ClientSession() as web:
            async with web.get(service.url + link_path(row)) as good:
                assert good.status == 200 and await good.read() == POSTER
                assert good.headers["X-Content-Type-Options"] == "nosniff"
            wrong = f"/files/{row.id}/{'x' * len(row.token)}/{row.name}"
            async with web.get(service.url + wrong) as bad:
                assert bad.status == 404


async def test_what_a_broadcast_cannot_carry_is_refused_and_nothing_kept(tmp_path: Path) -> None:
    async with serving(tmp_path, send_rate=30) as service:
        admin = await service.joined(9001, "周敏", role="admin")
        mark = len(admin.inbox)
        await admin.say("/broadcast")
        await _said(admin, "请写下广播内容", mark)
        mark = len(admin.inbox)
        await admin.send(sticker={"file_id": "st1", "file_unique_id": "u1", "width": 1,
                                  "height": 1, "is_animated": False, "is_video": False,
                                  "type": "regular"})  # fmt: skip
        await _said(admin, "只能附图片或文件", mark)
        mark = len(admin.inbox)
        await admin.send_photo(POSTER)  # no caption: the text comes next
        await _said(admin, "图片/文件已收好", mark)
        mark = len(admin.inbox)
        await admin.say(CAPTION)
        await _said(admin, "发给谁", mark)

        async def count(session: AsyncSession) -> int:
            return (await session.exec(select(func.count()).select_from(StoredFile))).one()

        assert await service.db.run(count) == 1


async def test_a_broadcast_refuses_another_organizations_file(tmp_path: Path) -> None:
    async with serving(tmp_path, send_rate=30) as service:
        await seed_members(service.db, service.org_id, 2)

        async def attempt(session: AsyncSession) -> str:
            db = Repos(session)
            other = await db.orgs.create("别的单位", kind="unit")
            assert other.id is not None
            kept = await db.files.add(other.id, "image", "a.png", POSTER, "image/png")
            try:
                await create_broadcast(db, org_id=service.org_id, text="通知", roles=[],
                                       send_at=utcnow(), now=utcnow(), file_id=kept.id,
                                       actor="test")  # fmt: skip
            except OpError as problem:
                return problem.key
            return "accepted"

        assert await service.db.run(attempt) == "files.unavailable"
