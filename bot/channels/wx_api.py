"""Calling WeChat's server APIs (WeCom's and the Official Account's share their shape):
``{base}/cgi-bin/{path}?access_token=…``, JSON in and out, ``errcode`` 0 on success.

An expired token is refreshed once and the call retried; other error codes become the
delivery errors the outbox understands (``delivery_error``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, FormData

from .base import Blocked, ChannelConfigError, DeliveryError, RetryLater, Undeliverable
from .wx_token import TokenKeeper

log = logging.getLogger(__name__)
JSON = dict[str, Any]
TIMEOUT = 10.0

EXPIRED = frozenset({40001, 40014, 42001})  # invalid, malformed or expired access token
# Wrong credentials or a server not allowed to call (IP whitelist): fix the settings.
CONFIG = frozenset({40001, 40013, 40125, 40164, 41002, 41004, 60020, 40056})
RATE = frozenset({45009, 45011, 45033})  # quota or frequency: the whole app must wait
BLOCKED = frozenset({40003, 43004, 43019, 46004, 60111, 81013})  # no such person, or gone
WINDOW_CLOSED = 45015  # the Official Account's 48-hour customer-service window
SERVICE_QUOTA = 45047  # too many customer-service messages since the person last wrote
BUSY = -1
FLOOD = "flood control"  # the reason the deliverer treats as "pause the channel"
RATE_PAUSE = 60.0


class WxError(Exception):
    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"errcode {errcode}: {errmsg[:120]}")
        self.errcode = errcode


@dataclass(frozen=True)
class Upload:
    data: bytes
    name: str
    mime: str = "application/octet-stream"


def delivery_error(exc: Exception) -> DeliveryError:
    """What the outbox should make of a failed send."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, WxError):
        code = exc.errcode
        if code in RATE:
            return RetryLater(RATE_PAUSE, FLOOD)
        if code in BLOCKED:
            return Blocked(str(exc))
        if code == BUSY or code in EXPIRED:
            return RetryLater(5.0, str(exc))
        return Undeliverable(str(exc))
    return RetryLater(5.0, type(exc).__name__)  # the network, a timeout, a 5xx


class WxApi:
    """One app's API client: its own HTTP session and token keeper."""

    def __init__(
        self,
        base_url: str,
        token_path: str,
        token_query: dict[str, str],
        *,
        timeout: float = TIMEOUT,
    ) -> None:
        self.base = base_url.rstrip("/") + "/cgi-bin/"
        self.token_path, self.token_query = token_path, token_query
        self.timeout = timeout
        self.keeper = TokenKeeper(self._fetch_token)
        self._session: ClientSession | None = None

    async def open(self) -> None:
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=self.timeout))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.keeper.forget()

    async def check(self) -> None:
        """Fetch a token now: wrong credentials stop the service with a clear line."""
        await self.keeper.get()

    async def call(
        self,
        path: str,
        body: JSON | None = None,
        *,
        query: dict[str, str] | None = None,
        upload: Upload | None = None,
    ) -> JSON:
        token = await self.keeper.get()
        data = await self._request(path, token, body, query, upload)
        if data.get("errcode") in EXPIRED:
            log.info("wechat api: the access token was refused; fetching another")
            token = await self.keeper.renew(token)
            data = await self._request(path, token, body, query, upload)
        code = int(data.get("errcode") or 0)
        if code:
            raise WxError(code, str(data.get("errmsg", "")))
        return data

    async def _request(
        self,
        path: str,
        token: str,
        body: JSON | None,
        query: dict[str, str] | None,
        upload: Upload | None,
    ) -> JSON:
        params = {"access_token": token, **(query or {})}
        if upload is not None:
            form = FormData(quote_fields=False)  # WeCom shows the name as sent: raw UTF-8
            name = "".join(c for c in upload.name if c not in '"\r\n\\') or "file"
            form.add_field("media", upload.data, filename=name, content_type=upload.mime)
            return await self._http("POST", path, params, data=form)
        return await self._http("POST", path, params, json=body or {})

    async def _fetch_token(self) -> tuple[str, float]:
        data = await self._http("GET", self.token_path, self.token_query)
        code = int(data.get("errcode") or 0)
        if code in CONFIG:
            raise ChannelConfigError(f"WeChat refused the app's credentials (errcode {code})")
        token = data.get("access_token")
        if code or not isinstance(token, str) or not token:
            raise WxError(code or BUSY, str(data.get("errmsg", "no access_token")))
        return token, float(data.get("expires_in") or 7200)

    async def _http(self, method: str, path: str, params: dict[str, str], **kw: Any) -> JSON:
        if self._session is None:  # a callback before start() (e.g. still retrying it)
            await self.open()
        assert self._session is not None
        try:
            async with self._session.request(
                method, self.base + path, params=params, **kw
            ) as response:
                if response.status >= 500:
                    raise RetryLater(5.0, f"HTTP {response.status}")
                data = await response.json(content_type=None)
        except (TimeoutError, ClientError, ValueError) as exc:
            raise RetryLater(5.0, type(exc).__name__) from None
        if not isinstance(data, dict):
            raise RetryLater(5.0, "not a JSON object")
        return data
