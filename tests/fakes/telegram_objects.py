"""Bot API objects as Telegram's servers write them, the checks they make, and faults.

Everything here is plain JSON (dicts), the same shapes https://core.telegram.org/bots/api
documents, so python-telegram-bot parses the fake's answers exactly as it parses Telegram's.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

JSON = dict[str, Any]
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# Parameters Telegram reads as plain strings; PTB sends every other value JSON-encoded.
PLAIN = frozenset(
    {
        "text", "caption", "secret_token", "url", "callback_query_id", "language_code",
        "parse_mode", "action", "emoji", "inline_message_id", "file_id", "ip_address",
        "photo", "document", "video", "audio", "voice", "sticker", "animation", "thumbnail",
    }
)  # fmt: skip
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM")
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def response(self) -> web.Response:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Upload:
    """A file the bot uploaded (multipart) or a person sent."""

    data: bytes
    filename: str | None = None
    content_type: str | None = None


def decode(name: str, value: str) -> Any:
    """One form parameter: strings as sent, everything else JSON (as PTB encodes it)."""
    if name in PLAIN:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def read_params(request: web.Request) -> JSON:
    """A call's parameters from the query string and a form, multipart or JSON body."""
    params: JSON = {key: decode(key, value) for key, value in request.query.items()}
    if request.content_type == "application/json":
        body: Any = await request.json()
        if not isinstance(body, dict):
            raise ValueError("not an object")
        return params | body
    uploads: dict[str, Upload] = {}
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            uploads[key] = Upload(value.file.read(), value.filename, value.content_type)
        else:
            params[key] = decode(key, str(value))
    for key, value in list(params.items()):  # parameters that point at an upload
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = uploads.pop(value.removeprefix("attach://"), value)
    return params | uploads


def now() -> int:
    return int(time.time())


def person(
    user_id: int,
    first_name: str,
    *,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> JSON:
    found = {"id": user_id, "is_bot": False, "first_name": first_name, "last_name": last_name,
             "username": username, "language_code": language_code}  # fmt: skip
    return {key: value for key, value in found.items() if value is not None}


def private_chat(user: JSON) -> JSON:
    chat = {"id": user["id"], "type": "private"}
    return chat | {k: user[k] for k in ("first_name", "last_name", "username") if k in user}


def group_chat(chat_id: int, title: str) -> JSON:
    return {"id": chat_id, "type": "group", "title": title}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[JSON]:
    """A leading ``/command`` is marked up the way Telegram's clients do it."""
    match = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


def check_text(value: object, limit: int, what: str, *, required: bool = True) -> str:
    text = "" if value is None else str(value)
    if required and not text.strip():
        raise bad_request(f"{what} is empty")
    if len(text) > limit:
        raise bad_request(f"{what} is too long")
    return text


def check_markup(markup: object) -> JSON | None:
    """An inline keyboard as Telegram validates it; other keyboards are not echoed back."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    keyboard = markup.get("inline_keyboard")
    if keyboard is None:
        return None
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for button in (b for row in keyboard for b in row):
        if not isinstance(button, dict) or not str(button.get("text", "")).strip():
            raise bad_request("text buttons are unallowed in the inline keyboard")
        kinds = [k for k in ("url", "callback_data", "switch_inline_query", "pay") if k in button]
        if len(kinds) != 1:
            raise bad_request("can't parse inline keyboard button: exactly one action expected")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None and not re.match(r"(https?|tg)://\S+$", str(url)):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")
    return {"inline_keyboard": keyboard}


def photo_sizes(file_id: str, size: int) -> list[JSON]:
    return [
        {"file_id": f"{file_id}-s", "file_unique_id": f"u{file_id}-s", "width": 90,
         "height": 90, "file_size": min(size, 1024)},
        {"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 800,
         "file_size": size},
    ]  # fmt: skip
