"""A fake of WeChat's server APIs for end-to-end tests: WeCom's under ``/wecom`` and the
Official Account's under ``/mp``, served over real HTTP on 127.0.0.1, so our channels talk
to it as to ``qyapi.weixin.qq.com`` and ``api.weixin.qq.com``.

It hands out access tokens (and can expire them: calls with an old token get 42001), takes
app messages, customer-service and template messages, media uploads and menus, keeps what
each person received, enforces the Official Account's 48-hour window and its
customer-service quota (5 messages per message the person sent), and can inject faults.

    async with FakeWeChat() as fake:       # settings: wecom_api_url=fake.wecom_url ...
        fake.inject(MP, "message/custom/send", WxFault.window_closed())
        fake.expire_tokens(WECOM)
"""

# ruff: noqa: ASYNC109  (waiting with a deadline is what these helpers are for)

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from tests.fakes.wechat_methods import ApiMethods
from tests.fakes.wechat_records import JSON, MP, WECOM, Received, Upload, WxCall, WxFault

T = TypeVar("T")
WINDOW = 48 * 3600.0
SERVICE_QUOTA = 5


class FakeWeChat(ApiMethods):
    def __init__(
        self,
        *,
        corp_id: str = "ww5823bf96d3bd56c7",
        corp_secret: str = "corp-secret-for-tests",  # noqa: S107  (the fake's own)
        agent_id: int = 1000002,
        app_id: str = "wx0123456789abcdef",
        app_secret: str = "app-secret-for-tests",  # noqa: S107  (the fake's own)
        account: str = "gh_massline_test",
        token_life: int = 7200,
    ) -> None:
        self.corp_id, self.corp_secret, self.agent_id = corp_id, corp_secret, agent_id
        self.app_id, self.app_secret, self.account = app_id, app_secret, account
        self.token_life = token_life
        self.tokens: dict[str, str] = {}  # the valid token of each API
        self.expired: set[str] = set()
        self.token_calls = {WECOM: 0, MP: 0}
        self.calls: list[WxCall] = []
        self.inboxes: dict[tuple[str, str], list[Received]] = {}
        self.read: dict[tuple[str, str], int] = {}
        self.menus: dict[str, JSON] = {}
        self.media: dict[str, Upload] = {}
        self.faults: dict[tuple[str, str], list[WxFault]] = {}
        self.gone: set[str] = set()  # WeCom members who left the app's visible range
        self.windows: dict[str, float] = {}  # openid → when they last wrote (monotonic)
        self.service_sent: dict[str, int] = {}  # openid → customer-service messages since
        self.url = ""
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    # Lifecycle

    async def start(self) -> FakeWeChat:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_route("*", "/{api}/cgi-bin/{method:.+}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeWeChat:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @property
    def wecom_url(self) -> str:
        return f"{self.url}/{WECOM}"

    @property
    def mp_url(self) -> str:
        return f"{self.url}/{MP}"

    # The test's side

    def inject(self, api: str, method: str, *faults: WxFault) -> None:
        """Queue faults for the next calls of ``method`` (each used once, in order)."""
        self.faults.setdefault((api, method), []).extend(faults)

    def expire_tokens(self, api: str) -> None:
        """The current token expires: calls with it get 42001 until a new one is fetched."""
        if api in self.tokens:
            self.expired.add(self.tokens.pop(api))

    def wrote(self, openid: str) -> None:
        """The person wrote to the Official Account: its customer-service window opens."""
        self.windows[openid] = time.monotonic()
        self.service_sent[openid] = 0

    def close_window(self, openid: str) -> None:
        self.windows[openid] = time.monotonic() - WINDOW - 1

    def calls_to(self, api: str, method: str, to: str | None = None) -> list[WxCall]:
        return [
            c
            for c in self.calls
            if c.api == api and c.method == method and (to is None or c.to == to)
        ]

    def inbox(self, api: str, user: str) -> list[Received]:
        return self.inboxes.setdefault((api, user), [])

    async def deliver_to(self, api: str, user: str, received: Received) -> None:
        self.inbox(api, user).append(received)
        await self.notify()

    async def notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(
        self, check: Callable[[], T | None], *, timeout: float = 5.0, what: str = "it"
    ) -> T:
        async def found() -> T:
            async with self._changed:
                while (value := check()) is None:
                    await self._changed.wait()
                return value

        try:
            return await asyncio.wait_for(found(), timeout)
        except TimeoutError:
            raise AssertionError(f"waited {timeout}s for {what}") from None

    def new_media_id(self) -> str:
        return f"media-{next(self._seq)}"

    # HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        api, method = request.match_info["api"], request.match_info["method"]
        handler = getattr(self, f"{api}_{method.replace('/', '_')}", None)
        if api not in (WECOM, MP) or handler is None:
            return web.json_response({"errcode": 48001, "errmsg": "api unauthorized"})
        body = await self.read_body(request)
        call = WxCall(api, method, dict(request.query), body)
        self.calls.append(call)
        fault = self._take_fault(api, method, body)
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if fault.status != 200:
                call.errcode = fault.status
                return web.Response(status=fault.status, text="bad gateway")
            if fault.errcode:
                return await self._answer(call, {"errcode": fault.errcode, "errmsg": fault.errmsg})
        if not method.endswith("token"):
            given = request.query.get("access_token", "")
            if given != self.tokens.get(api):
                code = 42001 if given in self.expired else 40014
                return await self._answer(call, {"errcode": code, "errmsg": "invalid token"})
        return await self._answer(call, await handler(call))

    async def _answer(self, call: WxCall, result: JSON) -> web.Response:
        call.errcode = int(result.get("errcode", 0))
        result.setdefault("errcode", 0)
        result.setdefault("errmsg", "ok")
        await self.notify()
        return web.json_response(result)

    def _take_fault(self, api: str, method: str, body: JSON) -> WxFault | None:
        queue = self.faults.get((api, method), [])
        for index, fault in enumerate(queue):
            if fault.matches(body):
                return queue.pop(index)
        return None
