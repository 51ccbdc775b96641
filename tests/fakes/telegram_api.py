"""A fake Telegram Bot API server for end-to-end tests, in the style of errbot's testbot.

It serves ``/bot{token}/{method}`` over real HTTP on 127.0.0.1, so the real
python-telegram-bot talks to it as to Telegram: long-polled getUpdates (an offset
acknowledges, a timeout waits, a new update answers at once), a webhook (updates POSTed
with the secret header), sends with multipart uploads, edits, callback answers and
commands. It records every call and every message per chat, and can inject faults.

    async with FakeTelegram() as fake:            # settings: telegram_api_url=fake.url
        user = fake.user(1001, "李四", language_code="zh-hans")
        await user.say("/start CODE")
        assert "欢迎" in (await user.expect()).text
        fake.inject("sendMessage", Fault.flood(retry_after=1))
"""

# ruff: noqa: ASYNC109  (waiting with a deadline is what these helpers are for)

from __future__ import annotations

import asyncio
import json

from aiohttp import ClientSession, web

from tests.fakes.telegram_chaos import Chaos
from tests.fakes.telegram_limits import RateLimit
from tests.fakes.telegram_methods import BotApiMethods
from tests.fakes.telegram_objects import (
    JSON,
    ApiError,
    Upload,
    bad_request,
    group_chat,
    person,
    private_chat,
    read_params,
)
from tests.fakes.telegram_records import Call, ChatLog, Fault
from tests.fakes.telegram_updates import UpdatesMixin
from tests.fakes.telegram_users import FakeUser

DEFAULT_TOKEN = "123456789:AAFakeTokenForMasslineTests_abcdefgh"
BOT_ID = 7000000001


class FakeTelegram(BotApiMethods, UpdatesMixin):
    def __init__(self, *, token: str = DEFAULT_TOKEN, username: str = "massline_test_bot") -> None:
        self.token, self.username = token, username
        self.bot: JSON = {"id": BOT_ID, "is_bot": True, "first_name": "群众路线助手",
                          "username": username, "can_join_groups": True,
                          "can_read_all_group_messages": False,
                          "supports_inline_queries": False}  # fmt: skip
        self.chats: dict[int, ChatLog] = {}
        self.blocked: set[int] = set()
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON | None = None
        self.allowed_updates: list[str] | None = None
        self.updates: list[JSON] = []  # waiting for getUpdates, oldest first
        self.filtered: list[JSON] = []  # not wanted by allowed_updates, so never delivered
        self.webhook_log: list[tuple[int, int]] = []  # (update_id, HTTP status)
        self.webhook_calls: list[tuple[str, int]] = []  # calls made from webhook answers
        self.files: dict[str, Upload] = {}
        self.callbacks: dict[str, JSON | None] = {}  # query id -> its answer, once answered
        self.calls: list[Call] = []
        self.faults: dict[str, list[Fault]] = {}
        self.rate_limit: RateLimit | None = None  # limit_rate() sets Telegram's limits
        self.chaos: Chaos | None = None  # unleash() sets random faults on sends
        self.url = ""
        self._file_seq = 0
        self._update_id = 310_000_000
        self._callback_seq = 0
        self._poll_generation = 0
        self._closing = False
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None

    # Lifecycle

    async def start(self, port: int = 0) -> FakeTelegram:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/files/{file_id}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._client = ClientSession()
        return self

    async def close(self) -> None:
        self._closing = True  # wakes long polls so shutdown never waits for their timeout
        await self._notify()
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    # The test's side

    def user(
        self,
        user_id: int,
        first_name: str = "张三",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> FakeUser:
        """A person with a private chat with the bot (chat id = user id, as on Telegram)."""
        who = person(user_id, first_name, last_name=last_name, username=username,
                     language_code=language_code)  # fmt: skip
        return FakeUser(self, who, self.open_chat(private_chat(who)))

    def group(self, user: FakeUser, chat_id: int, title: str = "学习小组") -> FakeUser:
        """The same person, writing in a group the bot is a member of."""
        return FakeUser(self, user.who, self.open_chat(group_chat(chat_id, title)))

    def open_chat(self, chat: JSON) -> ChatLog:
        return self.chats.setdefault(int(chat["id"]), ChatLog(chat))

    def inject(self, method: str, *faults: Fault) -> None:
        """Queue faults for the next calls of ``method`` (each used once, in order)."""
        self.faults.setdefault(method.lower(), []).extend(faults)

    def limit_rate(self, per_second: float, *, per_chat: float = 1.0) -> RateLimit:
        """Answer sends beyond Telegram's limits with 429 from now on (telegram_limits)."""
        self.rate_limit = RateLimit(per_second, per_chat=per_chat)
        return self.rate_limit

    def unleash(self, chaos: Chaos) -> Chaos:
        """Random faults on every send from now on (telegram_chaos), after injected ones."""
        self.chaos = chaos
        return chaos

    def block(self, chat_id: int) -> None:
        """The person blocks the bot: every send to them is refused with 403 from now on."""
        self.blocked.add(chat_id)

    def my_commands(self, language_code: str = "", scope: JSON | None = None) -> list[JSON]:
        key = json.dumps(scope or {"type": "default"}, sort_keys=True), language_code
        return self.commands.get(key, [])

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            c for c in self.calls
            if c.method.lower() == method.lower() and (chat_id is None or c.chat_id == chat_id)
        ]  # fmt: skip

    async def wait_call(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        after: int = 0,
        answered: bool = True,
        timeout: float = 5.0,
    ) -> Call:
        """The call of ``method`` (to ``chat_id``) after the first ``after`` such calls.

        ``answered=False`` also counts a call still being answered, e.g. a waiting long poll.
        """

        def found() -> Call | None:
            calls = self.calls_to(method, chat_id)
            done = [c for c in calls if c.status is not None or not answered]
            return done[after] if len(done) > after else None

        return await self.wait_for(found, timeout=timeout, what=f"a {method} call")

    def new_callback_id(self) -> str:
        self._callback_seq += 1
        query_id = f"{BOT_ID}{self._callback_seq:08d}"
        self.callbacks[query_id] = None
        return query_id

    # HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = request.match_info["method"]
        handler = getattr(self, f"api_{method.lower()}", None)
        if handler is None:
            return ApiError(404, "Not Found").response()
        try:
            params = await read_params(request)
        except ValueError:
            return bad_request("can't parse request parameters").response()
        call = Call(method, params)
        self.calls.append(call)
        fault = self._take_fault(method, params)
        if fault is None and self.chaos is not None:
            fault = self.chaos.draw(self, method, params)
        try:
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            error = fault.error() if fault is not None else None
            if error is None and self.rate_limit is not None:
                error = self.rate_limit.check(method, params, call.at)
            if error is not None:
                raise error
            result = await handler(params)
        except ApiError as exc:
            call.status, call.error = exc.status, exc.description
            await self._notify()
            return exc.response()
        call.status, call.result = 200, result
        await self._notify()
        if fault is not None and fault.drop and request.transport is not None:
            request.transport.close()  # done, but the bot never hears so
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        upload = self.files.get(request.match_info["file_id"])
        if request.match_info["token"] != self.token or upload is None:
            raise web.HTTPNotFound()
        return web.Response(body=upload.data, content_type="application/octet-stream")

    def _take_fault(self, method: str, params: JSON) -> Fault | None:
        queue = self.faults.get(method.lower(), [])
        for index, fault in enumerate(queue):
            if fault.matches(params):
                return queue.pop(index)
        return None
