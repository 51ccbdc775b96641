"""Updates in, as Telegram delivers them: long-polled getUpdates, or POSTs to a webhook."""

# ruff: noqa: ASYNC109  (waiting with a deadline is what these helpers are for)

from __future__ import annotations

import asyncio
import contextlib
import email
import io
import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from aiohttp import ClientSession

from tests.fakes.telegram_objects import JSON, ApiError

T = TypeVar("T")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
SUPERSEDED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class UpdatesMixin:
    webhook: JSON | None
    allowed_updates: list[str] | None
    updates: list[JSON]  # waiting for getUpdates, oldest first
    filtered: list[JSON]  # not wanted by allowed_updates, so never delivered
    webhook_log: list[tuple[int, int]]  # (update_id, HTTP status)
    webhook_calls: list[tuple[str, int]]  # (method, HTTP status) of calls in webhook answers
    token: str
    url: str
    _update_id: int
    _poll_generation: int
    _closing: bool
    _changed: asyncio.Condition
    _client: ClientSession | None

    async def push(self, kind: str, obj: JSON) -> JSON:
        """Deliver one update: to the webhook when one is set, else queue it for getUpdates."""
        self._update_id += 1
        update = {"update_id": self._update_id, kind: obj}
        if self.allowed_updates and kind not in self.allowed_updates:
            self.filtered.append(update)
        elif self.webhook is not None:
            status = await self.post_webhook(update, secret=self.webhook["secret_token"])
            self.webhook_log.append((self._update_id, status))
            if status != 200:
                raise AssertionError(f"the bot's webhook answered {status} to a {kind}")
        else:
            self.updates.append(update)
            await self._notify()
        return update

    async def post_webhook(self, update: JSON | bytes, *, secret: str | None) -> int:
        """POST one update to the webhook as Telegram does (``secret=None``: no header)."""
        assert self.webhook is not None and self._client is not None, "the bot set no webhook"
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        body = io.BytesIO(update if isinstance(update, bytes) else json.dumps(update).encode())
        async with self._client.post(self.webhook["url"], data=body, headers=headers) as reply:
            answer = await reply.read()
            status, kind = reply.status, reply.headers.get("Content-Type", "")
        call = _call_in(answer, kind) if status == 200 else None
        if call is not None:
            await self._call_from_answer(call)
        return status

    async def _call_from_answer(self, call: dict[str, Any]) -> None:
        """A method call the bot put in its answer to the webhook, made as Telegram makes
        it: once, after the answer, its outcome told to nobody (``webhook_calls``)."""
        assert self._client is not None
        method = str(call.pop("method"))
        url = f"{self.url}/bot{self.token}/{method}"
        async with self._client.post(url, **call) as done:
            self.webhook_calls.append((method, done.status))

    async def api_getupdates(self, p: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = int(p.get("offset") or 0)
        if offset > 0:  # confirms every update before it
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if "allowed_updates" in p:
            self.allowed_updates = list(p["allowed_updates"] or []) or None
        limit = max(1, min(int(p.get("limit") or 100), 100))
        self._poll_generation += 1
        mine = self._poll_generation
        await self._notify()  # a poll still waiting is now superseded by this one

        def ready() -> bool:
            return bool(self.updates) or self._closing or self._poll_generation != mine

        timeout = float(p.get("timeout") or 0)
        if timeout > 0 and not ready():
            with contextlib.suppress(AssertionError):
                await self.wait_for(ready, timeout=timeout)
        if self._poll_generation != mine:
            raise ApiError(409, SUPERSEDED)
        return self.updates[:limit]

    async def api_setwebhook(self, p: JSON) -> bool:
        url = str(p.get("url") or "")
        if not url:
            self.webhook = None
            return True
        if not url.startswith(("http://", "https://")):  # Telegram insists on https
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided")
        secret = p.get("secret_token")
        if secret is not None and not _secret_ok(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret,
                        "max_connections": p.get("max_connections", 40)}  # fmt: skip
        if p.get("allowed_updates") is not None:
            self.allowed_updates = list(p["allowed_updates"]) or None
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def api_deletewebhook(self, p: JSON) -> bool:
        self.webhook = None
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def api_getwebhookinfo(self, p: JSON) -> JSON:
        info: JSON = {"url": "", "has_custom_certificate": False,
                      "pending_update_count": len(self.updates)}  # fmt: skip
        if self.webhook is not None:
            info |= {"url": self.webhook["url"], "max_connections": self.webhook["max_connections"]}
            if self.allowed_updates:
                info["allowed_updates"] = self.allowed_updates
        return info

    # Waiting for the bot

    async def wait_for(
        self, predicate: Callable[[], T | None], *, timeout: float = 5.0, what: str = "it"
    ) -> T:
        """Wait until ``predicate`` is truthy (checked after every call); return its value."""

        async def until() -> T:
            async with self._changed:
                return await self._changed.wait_for(predicate)  # type: ignore[arg-type]

        try:
            return await asyncio.wait_for(until(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _call_in(answer: bytes, content_type: str) -> dict[str, Any] | None:
    """The method call in a webhook's answer, as JSON or a form (multipart or not), ready
    to post: ``{"method": ..., "json": ...}`` or ``{"method": ..., "data": ...}``."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/json" and answer.strip():
        params = json.loads(answer)
        fields = params if isinstance(params, dict) else {}
        return {"method": fields.pop("method"), "json": fields} if "method" in fields else None
    if kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        parts = email.message_from_bytes(head + answer).get_payload()
        form = {str(part.get_param("name", header="content-disposition")):
                part.get_payload(decode=True).decode() for part in parts}  # fmt: skip
    elif kind == "application/x-www-form-urlencoded":
        form = dict(parse_qsl(answer.decode()))
    else:
        return None
    return {"method": form.pop("method"), "data": form} if "method" in form else None


def _secret_ok(secret: str) -> bool:
    return 1 <= len(secret) <= 256 and all(
        c.isascii() and (c.isalnum() or c in "_-") for c in secret
    )
