"""Translating between Telegram's objects and the core's Incoming and replies."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from handlers.messages import Attachment, Incoming, Text

CHANNEL = "telegram"


def keyboard(reply: Text) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.payload)
                for b in row
            ]
            for row in reply.buttons
        ]
    )


def to_incoming(update: Update) -> Incoming | None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    common: dict[str, Any] = {
        "channel": CHANNEL,
        "user_key": str(user.id),
        "display_name": user.full_name,
        "language_hint": user.language_code,
        "private": chat.type == chat.PRIVATE,
    }
    if update.callback_query is not None:
        return Incoming(payload=update.callback_query.data or "", **common)
    if update.edited_message is not None:
        return Incoming(payload="core:edited", **common)
    message = update.message
    if message is None:
        return None
    return Incoming(
        text=message.text or message.caption,
        attachments=_attachments(message),
        ref=str(message.message_id),
        **common,
    )


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.photo:
        largest = message.photo[-1]
        found.append(Attachment("photo", largest.file_id, size=largest.file_size))
    if message.document:
        doc = message.document
        found.append(Attachment("file", doc.file_id, doc.file_name, doc.mime_type, doc.file_size))
    if message.voice:
        found.append(Attachment("voice", message.voice.file_id, size=message.voice.file_size))
    if message.video:
        found.append(Attachment("video", message.video.file_id, size=message.video.file_size))
    if message.sticker:
        found.append(Attachment("sticker", message.sticker.file_id))
    if message.location:
        found.append(Attachment("location"))
    if not found and message.text is None and message.caption is None:
        found.append(Attachment("other"))
    return tuple(found)
