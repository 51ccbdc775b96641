"""Translating between WeChat's messages and the core's Incoming and replies.

WeChat has no inline buttons: a reply's buttons become numbered options under its text
("回复 1 实名提意见"), and a number the person sends back becomes that button's payload
(see wx_buttons.Options). Link buttons become links in the text; on WeCom, a short text
with a single link becomes a text card with that link as its button.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from handlers.messages import Attachment, AttachmentKind, File, Image, Incoming, Reply, Text

from .wx_buttons import Options

TEXT_LIMIT = 2000  # bytes of one text message (WeChat allows 2048)
CARD_TITLE, CARD_DESCRIPTION = 128, 512  # bytes, WeCom's text card
CARD_BUTTON = 4  # characters of a text card's button
MAX_USER = 128
_ATTACHMENTS: dict[str, AttachmentKind] = {
    "image": "photo",
    "voice": "voice",
    "video": "video",
    "shortvideo": "video",
    "file": "file",
    "location": "location",
}


@dataclass(frozen=True)
class Card:
    title: str
    description: str
    url: str
    button: str | None


Piece = str | Card | Image | File  # one message on the wire
OptionLine = Callable[[int, str], str]  # (number, label) → "回复 1 实名提意见"


def to_incoming(channel: str, fields: Mapping[str, str], options: Options) -> Incoming | None:
    """The core's view of one callback; None for what needs no answer (a view event...)."""
    user = fields.get("FromUserName", "")
    if not user or len(user) > MAX_USER:
        return None
    kind = fields.get("MsgType", "")
    if kind == "text":
        text = fields.get("Content", "")
        payload = options.resolve(user, text)
        if payload is not None:
            return Incoming(channel, user, payload=payload)
        return Incoming(channel, user, text=text)
    if kind == "event":
        return _event(channel, user, fields)
    if kind == "voice" and fields.get("Recognition"):  # the Official Account's transcript
        return Incoming(channel, user, text=fields["Recognition"])
    attachment = Attachment(
        _ATTACHMENTS.get(kind, "other"),
        fields.get("MediaId", ""),
        fields.get("FileName") or fields.get("Title") or None,
        size=_int(fields.get("FileTotalLen")),
    )
    return Incoming(channel, user, attachments=(attachment,))


def _event(channel: str, user: str, fields: Mapping[str, str]) -> Incoming | None:
    event = fields.get("Event", "").lower()
    key = fields.get("EventKey", "")
    if event == "click" and key:
        return Incoming(channel, user, payload=key[:128])
    if event in ("subscribe", "scan"):
        # A QR code with an invite code as its scene joins at once (qrscene_CODE on follow).
        code = key.removeprefix("qrscene_").strip()
        return Incoming(channel, user, text=f"/start {code}".strip())
    return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def render(
    replies: list[Reply], option_line: OptionLine, *, cards: bool = False, limit: int = TEXT_LIMIT
) -> tuple[list[Piece], list[str]]:
    """The messages to send for ``replies``, and the payloads of the numbered options in
    them (numbered across all of them, from 1). Forget is dropped: WeChat cannot delete."""
    pieces: list[Piece] = []
    payloads: list[str] = []
    for reply in replies:
        if isinstance(reply, Text):
            card = _card(reply) if cards else None
            if card is not None:
                pieces.append(card)
                continue
            lines: list[str] = []
            for row in reply.buttons:
                for button in row:
                    if button.url:
                        lines.append(link(button.url, button.label))
                    elif button.payload:
                        payloads.append(button.payload)
                        lines.append(option_line(len(payloads), button.label))
            text = "\n\n".join(part for part in (reply.text, "\n".join(lines)) if part)
            pieces.extend(split_bytes(text, limit))
        elif isinstance(reply, Image | File):
            pieces.append(reply)
            if reply.caption:
                pieces.extend(split_bytes(reply.caption, limit))
    return pieces, payloads


def link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{label}</a>'


def _card(reply: Text) -> Card | None:
    buttons = [b for row in reply.buttons for b in row]
    if len(buttons) != 1 or not buttons[0].url or "<" in reply.text:
        return None
    title, _, description = reply.text.partition("\n")
    description = description.strip()
    if (
        not description
        or len(title.encode()) > CARD_TITLE
        or len(description.encode()) > CARD_DESCRIPTION
    ):
        return None
    label = buttons[0].label
    return Card(title, description, buttons[0].url, label if len(label) <= CARD_BUTTON else None)


def split_bytes(text: str, limit: int) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` UTF-8 bytes, at line breaks where
    possible (WeChat counts bytes, and a Chinese character is three)."""
    parts: list[str] = []
    rest = text
    while len(rest.encode()) > limit:
        fits = len(rest.encode()[:limit].decode(errors="ignore"))
        cut = rest.rfind("\n", 0, fits)
        if cut < fits // 2:
            cut = fits
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest.strip():
        parts.append(rest)
    return parts
