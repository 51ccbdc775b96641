"""Target 4: our signed and encrypted WeChat callback against a bare handler.

Both servers run in a child process of their own on 127.0.0.1: a real ``python -m bot run``
with the Official Account in safe mode (signature, msg_signature, AES envelope, the core
answering 帮助 from the database, the reply sealed into the HTTP answer), its API pointed
at the tests' fake WeChat; and ``bench.wechat_bare``, an aiohttp handler that answers
"success" and nothing else. One load tool for both, an aiohttp client in this process, fed
requests made and sealed beforehand as WeChat makes them (a fresh nonce and MsgId each, so
none is a replay), from 200 members who joined through the Official Account:

- throughput: 16 requests in flight at once, as many as the server answers;
- latency: an open loop at 200 requests/s for 10 s, p50 and p99 from send to answer.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, TCPConnector

from bench import seeding
from bench.report import machine, percentile, table, write_section
from bench.service import Service, clean_env, free_port
from storage.db import Database
from storage.migrate import upgrade
from tests.fakes.wechat_api import FakeWeChat
from tests.fakes.wechat_records import MP
from tests.fakes.wechat_users import WxPerson

TOKEN = "MpCallbackToken42"  # noqa: S105  (the tests' callback token, not a secret)
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
PEOPLE = 200
IN_FLIGHT = 16
RATE, SECONDS = 200, 10.0
BARE = 'bare aiohttp handler answering "success"'
OURS = {
    "view": "massline, the endpoint: a menu VIEW event checked (signature, msg_signature, "
    "nonce), opened (AES), parsed, acknowledged",
    "text": "massline, the whole path: 帮助 checked, opened, answered by the core from the "
    "database, the reply sealed into the HTTP answer",
}


@dataclass
class Figures:
    name: str
    throughput: float = 0.0
    loop_p99: float = 0.0
    latencies: list[float] = field(default_factory=list)  # at RATE
    errors: int = 0

    def row(self, bare: Figures | None) -> list[str]:
        ratio = f"**{self.throughput / bare.throughput:.2f}**" if bare else "1 (the peer)"
        return [self.name, f"{self.throughput:.0f}", ratio, f"{self.loop_p99 * 1000:.1f}",
                f"{percentile(self.latencies, 0.5) * 1000:.1f}",
                f"**{percentile(self.latencies, 0.99) * 1000:.1f}**", str(self.errors)]  # fmt: skip


class Load:
    def __init__(self, fake: FakeWeChat, url: str, openids: list[str], session: ClientSession):
        self.people = [
            WxPerson(fake, MP, openid, service_url=url, token=TOKEN, aes_key=AES, session=session)
            for openid in openids
        ]
        self.session, self.kind = session, "text"

    def requests(self, count: int) -> list[tuple[str, dict[str, str], bytes]]:
        made = []
        for n in range(count):
            person = self.people[n % len(self.people)]
            if self.kind == "view":  # a menu link opened: checked, opened, acknowledged
                fields = person.fields("event", Event="VIEW", EventKey="https://example.org/")
            else:
                fields = person.text("帮助")
            query, body = person.request(fields)
            made.append((person.url, query, body))
        return made

    async def _one(self, request: tuple[str, dict[str, str], bytes], figures: Figures) -> float:
        url, query, body = request
        started = time.perf_counter()
        async with self.session.post(url, params=query, data=body) as answer:
            text = await answer.text()
        if answer.status != 200 or not text:
            figures.errors += 1
        return time.perf_counter() - started

    async def closed(self, count: int, figures: Figures) -> None:
        work = self.requests(count)
        times: list[float] = []

        async def worker() -> None:
            while work:
                times.append(await self._one(work.pop(), figures))

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        figures.throughput = count / (time.perf_counter() - started)
        figures.loop_p99 = percentile(times, 0.99)

    async def open(self, figures: Figures) -> None:
        work = self.requests(int(RATE * SECONDS))
        start = time.perf_counter()
        tasks = []
        for index, request in enumerate(work):
            delay = start + index / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self._one(request, figures)))
        figures.latencies = list(await asyncio.gather(*tasks))


async def contender(
    names: dict[str, str], env: dict[str, str], argv: tuple[str, ...], fake: FakeWeChat,
    openids: list[str], count: int,
) -> list[Figures]:  # fmt: skip
    """One server started once; a throughput phase then a latency phase per request kind."""
    port = free_port()
    argv = (*argv, str(port)) if argv[0] != "bot" else argv
    service = await Service.start({**env, "MASSLINE_WEB_PORT": str(port)}, "web chat:", argv=argv)
    found = []
    try:
        connector = TCPConnector(limit=IN_FLIGHT * 4)
        async with ClientSession(connector=connector) as session:
            load = Load(fake, f"http://127.0.0.1:{port}", openids, session)
            for kind, name in names.items():
                load.kind = kind
                figures = Figures(name)
                await load.closed(count // 5, Figures(name))  # warm up
                await load.closed(count, figures)
                await load.open(figures)
                found.append(figures)
    finally:
        await service.stop()
    return found


async def run(args: argparse.Namespace) -> None:
    count = 1_000 if args.quick else 5_000
    header = machine()
    results: list[tuple[Figures, list[Figures]]] = []
    with tempfile.TemporaryDirectory(prefix="massline-bench-") as tmp:
        path = Path(tmp) / "wechat.db"
        db = Database(f"sqlite:///{path}")
        await upgrade(db)
        orgs = await seeding.organizations(db, 1)
        chats = await seeding.members(db, orgs, PEOPLE, channel="wechat")
        await db.dispose()
        openids = [str(chat) for chat in chats.values()]
        async with FakeWeChat() as fake:
            for openid in openids:
                fake.wrote(openid)
            env = clean_env(MASSLINE_DATABASE_URL=f"sqlite:///{path}", MASSLINE_LOG_LEVEL="INFO",
                            MASSLINE_WECHAT_APP_ID=fake.app_id,
                            MASSLINE_WECHAT_APP_SECRET=fake.app_secret,
                            MASSLINE_WECHAT_TOKEN=TOKEN, MASSLINE_WECHAT_AES_KEY=AES,
                            MASSLINE_WECHAT_API_URL=fake.mp_url)  # fmt: skip
            for _ in range(1 if args.quick else 2):
                (bare,) = await contender({"text": BARE}, env, ("bench.wechat_bare",), fake,
                                          openids, count)  # fmt: skip
                ours = await contender(OURS, env, ("bot", "run"), fake, openids, count)
                for figures in ours:
                    print(f"   {figures.name[:40]}: {figures.throughput:.0f}/s (bare "
                          f"{bare.throughput:.0f}/s), p99 at {RATE}/s "
                          f"{percentile(figures.latencies, 0.99) * 1000:.1f} ms")  # fmt: skip
                results.append((bare, ours))
    body = _section(header, results, count)
    print(body)
    if args.write:
        write_section("wechat", body)


def _section(header: str, results: list[tuple[Figures, list[Figures]]], count: int) -> str:
    head = ["server", "req/s, 16 in flight", "ratio to bare (target ≥ 0.5)", "p99 ms there",
            f"p50 ms at {RATE}/s", f"p99 ms at {RATE}/s (target < 50)", "errors"]  # fmt: skip
    rows = []
    for bare, ours in results:
        rows += [bare.row(None), *(figures.row(bare) for figures in ours)]
    return "\n\n".join([
        "## WeChat callback (target 4)",
        header,
        f"Each pair of rows is one round ({count:,} requests in the throughput phase, then "
        f"{RATE}/s for {SECONDS:.0f} s, per kind of request), both servers in a process of "
        "their own, the load from this process (an aiohttp client; the requests were "
        "signed and sealed before the clock started, each with its own nonce and MsgId). "
        "Ours: a real `python -m bot run` on SQLite, the Official Account in safe mode. "
        "The endpoint rows are what target 4 compares: the signed and sealed callback "
        "(both signatures, the nonce's replay check, AES, the hardened XML parse) against "
        "a handler that does none of it; the bare handler's figure is as much the load "
        "tool's ceiling (one Python process) as the server's. The whole-path rows add the "
        "core's work for a message (a database transaction of several statements, target "
        "1's subject): on this machine that, not the callback, bounds the rate, below "
        "200/s, so the open loop at 200/s queues.",
        table(head, rows),
    ])  # fmt: skip
