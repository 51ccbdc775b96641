"""The Bot API methods the fake answers, with the checks Telegram's servers make.

Each ``api_<method>`` (lower case: Telegram's method names are case-insensitive) takes the
decoded parameters and returns the ``result``, or raises ApiError for an error answer.
Deliberate differences from Telegram: webhooks may be plain http on 127.0.0.1 (see
telegram_updates), and no 48-hour limit on deleting messages.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakes.telegram_objects import (
    CAPTION_LIMIT,
    IMAGE_MAGIC,
    JSON,
    TEXT_LIMIT,
    ApiError,
    Upload,
    bad_request,
    check_markup,
    check_text,
    now,
    photo_sizes,
)
from tests.fakes.telegram_records import BLOCKED, ChatLog, Sent

CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
     "upload_document", "choose_sticker", "find_location", "record_video_note",
     "upload_video_note"}
)  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class BotApiMethods:
    bot: JSON
    chats: dict[int, ChatLog]
    blocked: set[int]
    commands: dict[tuple[str, str], list[JSON]]
    files: dict[str, Upload]
    callbacks: dict[str, JSON | None]
    _file_seq: int

    # The bot itself

    async def api_getme(self, p: JSON) -> JSON:
        return self.bot

    async def api_logout(self, p: JSON) -> bool:
        return True

    async def api_close(self, p: JSON) -> bool:
        return True

    async def api_setmycommands(self, p: JSON) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._command_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def api_getmycommands(self, p: JSON) -> list[JSON]:
        return self.commands.get(self._command_key(p), [])

    async def api_deletemycommands(self, p: JSON) -> bool:
        self.commands.pop(self._command_key(p), None)
        return True

    def _command_key(self, p: JSON) -> tuple[str, str]:
        language = str(p.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(p.get("scope") or {"type": "default"}, sort_keys=True), language

    # Sending

    async def api_sendmessage(self, p: JSON) -> JSON:
        log = self._chat_to(p)
        text = check_text(p.get("text"), TEXT_LIMIT, "message text")
        return self._post(log, "sendMessage", {"text": text}, p)

    async def api_sendphoto(self, p: JSON) -> JSON:
        log = self._chat_to(p)
        upload, file_id = self._file_param(p, "photo")
        if not upload.data.startswith(IMAGE_MAGIC):
            raise bad_request("IMAGE_PROCESS_FAILED")
        self.files[f"{file_id}-s"] = upload
        content = {"photo": photo_sizes(file_id, len(upload.data))}
        return self._post(log, "sendPhoto", content, p, upload)

    async def api_senddocument(self, p: JSON) -> JSON:
        log = self._chat_to(p)
        upload, file_id = self._file_param(p, "document")
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                    "file_name": upload.filename or "document",
                    "mime_type": upload.content_type or "application/octet-stream",
                    "file_size": len(upload.data)}  # fmt: skip
        return self._post(log, "sendDocument", {"document": document}, p, upload)

    async def api_sendchataction(self, p: JSON) -> bool:
        self._chat_to(p)
        if p.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _post(
        self, log: ChatLog, method: str, content: JSON, p: JSON, upload: Upload | None = None
    ) -> JSON:
        if p.get("caption") is not None:
            content["caption"] = check_text(p["caption"], CAPTION_LIMIT, "message caption",
                                            required=False)  # fmt: skip
        markup = check_markup(p.get("reply_markup"))
        if markup is not None:
            content["reply_markup"] = markup
        message = {"message_id": log.new_id(), "from": self.bot, "chat": log.chat,
                   "date": now(), **content}  # fmt: skip
        log.messages[message["message_id"]] = message
        log.inbox.append(Sent(method, log.id, message, upload))
        return message

    def _chat_to(self, p: JSON) -> ChatLog:
        """The chat a call addresses, refused as Telegram refuses it."""
        raw = p.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
        log = self.chats.get(chat_id)
        if log is None:
            raise bad_request("chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        if not log.started:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return log

    def _file_param(self, p: JSON, name: str) -> tuple[Upload, str]:
        value = p.get(name)
        if isinstance(value, Upload):
            upload = value
        elif isinstance(value, str) and value in self.files:
            upload = self.files[value]
        else:
            raise bad_request(f"there is no {name} in the request")
        if not upload.data:
            raise bad_request("file must be non-empty")
        return upload, self.store_file(upload)

    def store_file(self, upload: Upload) -> str:
        self._file_seq += 1
        file_id = f"AgAC{self._file_seq:06d}"
        self.files[file_id] = upload
        return file_id

    async def api_getfile(self, p: JSON) -> JSON:
        file_id = str(p.get("file_id") or "")
        upload = self.files.get(file_id)
        if upload is None:
            raise bad_request("invalid file_id")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}",
                "file_size": len(upload.data), "file_path": f"files/{file_id}"}  # fmt: skip

    # Changing what was sent

    async def api_editmessagetext(self, p: JSON) -> JSON:
        log, message = self._own_message(p)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = check_text(p.get("text"), TEXT_LIMIT, "message text")
        return self._edit(log, message, {"text": text}, p.get("reply_markup"))

    async def api_editmessagereplymarkup(self, p: JSON) -> JSON:
        log, message = self._own_message(p)
        return self._edit(log, message, {}, p.get("reply_markup"))

    def _own_message(self, p: JSON) -> tuple[ChatLog, JSON]:
        log = self._chat_to(p)
        message = log.messages.get(_int(p.get("message_id")))
        if message is None or message["message_id"] in log.deleted:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot["id"]:
            raise bad_request("message can't be edited")
        return log, message

    def _edit(self, log: ChatLog, message: JSON, changes: JSON, markup: Any) -> JSON:
        edited = {k: v for k, v in message.items() if k not in ("reply_markup", "edit_date")}
        edited |= changes
        keyboard = check_markup(markup)
        if keyboard is not None:
            edited["reply_markup"] = keyboard
        if edited == {k: v for k, v in message.items() if k != "edit_date"}:
            raise bad_request(NOT_MODIFIED)
        edited["edit_date"] = now()
        log.messages[edited["message_id"]] = edited
        for sent in log.inbox:
            if sent.message_id == edited["message_id"]:
                sent.raw, sent.edits = edited, sent.edits + 1
        return edited

    async def api_deletemessage(self, p: JSON) -> bool:
        log = self._chat_to(p)
        message_id = _int(p.get("message_id"))
        if message_id not in log.messages or message_id in log.deleted:
            raise bad_request("message to delete not found")
        log.deleted.add(message_id)
        for sent in log.inbox:
            sent.deleted = sent.deleted or sent.message_id == message_id
        return True

    async def api_answercallbackquery(self, p: JSON) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        if query_id not in self.callbacks or self.callbacks[query_id] is not None:
            raise bad_request(TOO_OLD)
        check_text(p.get("text"), 200, "callback answer text", required=False)
        self.callbacks[query_id] = dict(p)
        return True


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0
