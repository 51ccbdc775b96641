"""A person on Telegram, as a test drives them: say, send, tap, then expect the bot's answer."""

# ruff: noqa: ASYNC109  (waiting with a deadline is what these helpers are for)

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_objects import (
    JSON,
    TINY_PNG,
    Upload,
    command_entities,
    now,
    photo_sizes,
)
from tests.fakes.telegram_records import ChatLog, Sent

if TYPE_CHECKING:
    from tests.fakes.telegram_api import FakeTelegram


class FakeUser:
    """One Telegram account in one chat (their private chat, or a group via fake.group)."""

    def __init__(self, fake: FakeTelegram, who: JSON, log: ChatLog) -> None:
        self.fake, self.who, self.log = fake, who, log

    @property
    def id(self) -> int:
        return int(self.who["id"])

    @property
    def chat_id(self) -> int:
        return self.log.id

    @property
    def inbox(self) -> list[Sent]:
        """Everything the bot sent to this chat so far, oldest first (read or not)."""
        return list(self.log.inbox)

    # Doing things

    async def say(self, text: str) -> JSON:
        """Type a message; a leading /command carries its bot_command entity."""
        return await self.send(**self.typed(text))

    async def send(self, **content: Any) -> JSON:
        """Send any message content: ``text=``, ``sticker=``, ``photo=``, ``location=``..."""
        message = self.compose(**content)
        await self.fake.push("message", message)
        return message

    def typed(self, text: str) -> JSON:
        entities = command_entities(text)
        return {"text": text, **({"entities": entities} if entities else {})}

    def compose(self, **content: Any) -> JSON:
        """A message from this person, written into the chat but not yet delivered."""
        self.log.started = True
        message = {"message_id": self.log.new_id(), "from": self.who, "chat": self.log.chat,
                   "date": now(), **content}  # fmt: skip
        self.log.messages[message["message_id"]] = message
        return message

    async def send_sticker(self, emoji: str = "👍") -> JSON:
        file_id = self.fake.store_file(Upload(b"RIFF-sticker", "sticker.webp", "image/webp"))
        sticker = {"file_id": file_id, "file_unique_id": f"u{file_id}", "type": "regular",
                   "width": 512, "height": 512, "is_animated": False, "is_video": False,
                   "emoji": emoji}  # fmt: skip
        return await self.send(sticker=sticker)

    async def send_photo(self, data: bytes = TINY_PNG, caption: str | None = None) -> JSON:
        file_id = self.fake.store_file(Upload(data, "photo.png", "image/png"))
        extra = {"caption": caption} if caption else {}
        return await self.send(photo=photo_sizes(file_id, len(data)), **extra)

    async def send_document(
        self, data: bytes, name: str, mime: str = "application/pdf", caption: str | None = None
    ) -> JSON:
        file_id = self.fake.store_file(Upload(data, name, mime))
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_name": name,
                    "mime_type": mime, "file_size": len(data)}  # fmt: skip
        return await self.send(document=document, **({"caption": caption} if caption else {}))

    async def edit(self, message: JSON, text: str) -> JSON:
        """Edit a message this person sent earlier."""
        edited = {**message, "text": text, "edit_date": now()}
        edited.pop("entities", None)
        if entities := command_entities(text):
            edited["entities"] = entities
        self.log.messages[message["message_id"]] = edited
        await self.fake.push("edited_message", edited)
        return edited

    async def tap(self, label: str) -> str:
        """Tap an inline button (by label or callback data) under the latest message having it.

        Returns the callback query id, to check it was answered with ``answered()``.
        """
        for sent in reversed(self.log.inbox):
            button = None if sent.deleted else sent.button(label)
            if button is not None:
                break
        else:
            shown = [b for sent in self.log.inbox for b in sent.buttons]
            raise AssertionError(f"no button {label!r} in chat {self.chat_id}; there are {shown}")
        if "callback_data" not in button:
            raise AssertionError(f"button {label!r} links to {button.get('url')}, no callback")
        query_id = self.fake.new_callback_id()
        query = {"id": query_id, "from": self.who, "chat_instance": f"ci{self.chat_id}",
                 "message": self.log.messages[sent.message_id],
                 "data": button["callback_data"]}  # fmt: skip
        await self.fake.push("callback_query", query)
        return query_id

    # Seeing what the bot did

    async def expect(self, timeout: float = 5.0) -> Sent:
        """The next message the bot sent to this chat that the test has not read yet."""
        log = self.log

        def unread() -> Sent | None:
            return log.inbox[log.read] if len(log.inbox) > log.read else None

        sent = await self.fake.wait_for(
            unread, timeout=timeout, what=f"the bot to write to chat {self.chat_id}"
        )
        log.read += 1
        return sent

    async def expect_text(
        self, contains: str | Sequence[str] = (), *, timeout: float = 5.0
    ) -> Sent:
        """The next message, which must contain every one of ``contains``."""
        sent = await self.expect(timeout)
        wanted = [contains] if isinstance(contains, str) else list(contains)
        missing = [part for part in wanted if part not in sent.text]
        if missing:
            raise AssertionError(f"expected {missing} in the bot's message:\n{sent.text}")
        return sent

    async def expect_nothing(self, within: float = 0.2) -> None:
        """Nothing more arrives in this chat for ``within`` seconds."""
        await asyncio.sleep(within)
        unread = self.log.inbox[self.log.read :]
        if unread:
            raise AssertionError(f"unexpected message(s): {[s.text[:80] for s in unread]}")

    async def answered(self, query_id: str, timeout: float = 5.0) -> JSON:
        """The bot's answerCallbackQuery for this tap (waits for it)."""
        return await self.fake.wait_for(
            lambda: self.fake.callbacks.get(query_id), timeout=timeout, what="a callback answer"
        )
