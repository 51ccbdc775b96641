"""python-telegram-bot's transport on aiohttp instead of httpx (issue 9's transport finding).

A ``telegram.request.BaseRequest`` with the contract of PTB's own ``HTTPXRequest``: the
same default timeouts, the same form encoding (url-encoded parameters, or multipart when
an InputFile is uploaded), the same exceptions (``TimedOut`` for any timeout,
``NetworkError`` for any other transport failure), ``do_request`` answering
``(status, body bytes)`` and leaving the Bot API's error codes to ``BaseRequest``.

    Application.builder()...
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))

The pool is ours: at most ``connection_pool_size`` requests are in flight, and a request
that cannot get a slot within ``pool_timeout`` fails with ``TimedOut`` without being sent,
as with httpx. The other timeouts map onto aiohttp's: ``connect_timeout`` bounds opening
a connection (``connect``, ``sock_connect``); ``read_timeout`` is the longest silence
from the server once the request is sent (``sock_read``). aiohttp has no write timeout,
so ``write_timeout`` (``media_write_timeout`` for uploads) bounds the whole request with
the other two: ``total`` is connect + write + read when all three are finite.

Unlike httpx, no proxy is read from the environment: pass ``proxy=`` explicitly.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
POOL_TIMEOUT = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* "
    "sent to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


class AiohttpRequest(BaseRequest):
    """One shared ``aiohttp.ClientSession`` per instance, created in ``initialize``."""

    __slots__ = (
        "_connect_timeout",
        "_media_write_timeout",
        "_pool_size",
        "_pool_timeout",
        "_proxy",
        "_read_timeout",
        "_session",
        "_shut_down",
        "_slots",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        proxy: str | None = None,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._proxy = proxy
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._shut_down = False

    @property
    def read_timeout(self) -> float | None:
        """See :attr:`BaseRequest.read_timeout`."""
        return self._read_timeout

    @property
    def connection_pool_size(self) -> int:
        return self._pool_size

    async def initialize(self) -> None:
        """See :meth:`BaseRequest.initialize`; opens the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            self._session = self._new_session()
        self._shut_down = False

    async def shutdown(self) -> None:
        """See :meth:`BaseRequest.shutdown`; closes the session and its connections."""
        self._shut_down = True
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _new_session(self) -> aiohttp.ClientSession:
        self._slots = asyncio.Semaphore(self._pool_size)  # bound to the loop that uses it
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
        return aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.USER_AGENT},
            timeout=aiohttp.ClientTimeout(total=None),
            trust_env=False,
        )

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`BaseRequest.do_request`."""
        if self._shut_down:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if self._session is None:  # used without initialize(), as HTTPXRequest allows
            self._session = self._new_session()
        uploads = request_data is not None and request_data.contains_files
        files = request_data.multipart_data if request_data is not None and uploads else None
        params = request_data.json_parameters if request_data is not None else {}
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else self._write_timeout
        timeout = _timeout(
            self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout,
            write_timeout,
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout,
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if files:
            body = _multipart(params, files)
        elif params:
            body, headers = urlencode(params).encode("ascii"), FORM
        slots = self._slots  # the one acquired is the one released, across a re-initialize
        await _acquire(
            slots, self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        )
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's own timeouts derive from it
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err
        finally:
            slots.release()


async def _acquire(slots: asyncio.Semaphore, pool_timeout: float | None) -> None:
    if not slots.locked():
        await slots.acquire()  # returns at once: no timer on the common path
        return
    try:
        async with asyncio.timeout(pool_timeout):
            await slots.acquire()
    except TimeoutError:
        raise TimedOut(POOL_TIMEOUT) from None


def _timeout(
    read: float | None, write: float | None, connect: float | None
) -> aiohttp.ClientTimeout:
    phases = (read, write, connect)
    total = None if None in phases else sum(p for p in phases if p is not None)
    return aiohttp.ClientTimeout(total=total, connect=connect, sock_connect=connect, sock_read=read)


def _multipart(params: dict[str, str], files: UploadFileDict) -> aiohttp.FormData:
    """Parameters as text parts, then each InputFile as a file part (as httpx sends them)."""
    form = aiohttp.FormData(quote_fields=False, charset="utf-8")
    for name, value in params.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
