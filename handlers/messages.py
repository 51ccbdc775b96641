"""What comes in from a channel and what goes back out, independent of any channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

AttachmentKind = Literal["photo", "file", "voice", "video", "sticker", "location", "other"]


@dataclass(frozen=True)
class Attachment:
    kind: AttachmentKind
    ref: str = ""  # the channel's own handle to fetch it, e.g. a Telegram file_id
    name: str | None = None
    mime: str | None = None
    size: int | None = None


@dataclass(frozen=True)
class Incoming:
    """One thing a person did in a chat: typed text, tapped a button, or sent a file."""

    channel: str
    user_key: str
    text: str | None = None
    payload: str | None = None
    attachments: tuple[Attachment, ...] = ()
    display_name: str | None = None
    language_hint: str | None = None
    private: bool = True
    ref: str | None = None  # the channel's id of this message, to delete it later


@dataclass(frozen=True)
class Button:
    label: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Text:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True)
class Image:
    data: bytes
    caption: str | None = None
    name: str = "image.png"


@dataclass(frozen=True)
class File:
    data: bytes
    name: str
    caption: str | None = None


@dataclass(frozen=True)
class Forget:
    """Ask the channel to delete these messages of the person's from the chat, where it
    can (SPEC §6: anonymous text does not stay in the chat history)."""

    refs: tuple[str, ...]


Reply = Text | Image | File | Forget


@dataclass(frozen=True)
class Stored:
    """A file we keep (storage.files), queued by reference: the deliverer loads its bytes
    and sends it as an Image or a File, so ten thousand rows hold one copy."""

    file_id: int
    kind: str  # "image" or "file"
    name: str
    caption: str | None = None


Queued = Text | Stored


def rows(*buttons: Button, per_row: int = 2) -> tuple[tuple[Button, ...], ...]:
    """Lay buttons out a few to a row, as a phone screen wants them."""
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def split_text(text: str, limit: int) -> list[str]:
    """Cut a long message at line breaks where possible, never beyond ``limit`` characters."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest:
        parts.append(rest)
    return parts


def to_json(replies: list[Reply] | list[Queued]) -> list[dict[str, Any]]:
    """Replies as JSON for the outbox: texts, and stored files by reference."""
    out: list[dict[str, Any]] = []
    for reply in replies:
        if isinstance(reply, Stored):
            out.append({"stored": reply.file_id, "kind": reply.kind, "name": reply.name,
                        "caption": reply.caption})  # fmt: skip
            continue
        if not isinstance(reply, Text):
            raise TypeError("only texts and stored files can be queued")
        out.append(
            {
                "text": reply.text,
                "buttons": [
                    [{"label": b.label, "payload": b.payload, "url": b.url} for b in row]
                    for row in reply.buttons
                ],
            }
        )
    return out


def from_json(items: list[dict[str, Any]]) -> list[Queued]:
    return [_queued(item) for item in items]


def _queued(item: dict[str, Any]) -> Queued:
    if "stored" in item:
        kind, name = item.get("kind") or "file", item.get("name") or "file"
        return Stored(item["stored"], kind, name, item.get("caption"))
    buttons = tuple(tuple(Button(**b) for b in row) for row in item.get("buttons", []))
    return Text(item["text"], buttons)
