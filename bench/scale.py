"""Target 5: a city-wide campaign after a year (bench/scale_data.py: 100,000 members, 500
organizations), on SQLite and on PostgreSQL:

- start-up: ``python -m bot run`` (migrating, as shipped) until /healthz answers;
- resident memory of that service once it has served a web chat load (members of the
  generated campaign on the web chat, 20 at a time);
- every chat-facing SQL statement at p99, with the plans of the hot ones
  (bench/scale_queries.py).

The generated databases are kept between runs (SQLite: data/bench/; PostgreSQL: the
``massline_bench`` database beside the tests' ``test``), and made again only when missing.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field

import asyncpg
from aiohttp import ClientSession, ClientTimeout

from bench.report import ROOT, machine, write_section
from bench.scale_data import VERSION, WEB_SHARE, generate, web_token
from bench.scale_queries import Findings, measure
from bench.service import Service, clean_env, free_port
from storage.db import Database

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
PG_NAME = "massline_bench"
LOAD = ["/help", "/study", "/deadlines", "/my"]


@dataclass
class Engine:
    name: str
    url: str
    members: int
    startups: list[float] = field(default_factory=list)
    rss: tuple[float, float] = (0.0, 0.0)  # after start-up: now, peak
    loaded: tuple[float, float] = (0.0, 0.0)  # after the web chat load: now, peak
    web: list[float] = field(default_factory=list)  # web chat request times
    web_rate: float = 0.0
    findings: Findings | None = None
    messages: int = 0


async def pg_url(quick: bool) -> str:
    name = f"{PG_NAME}_v{VERSION}" + ("_quick" if quick else "")
    admin = await asyncpg.connect(PG_SERVER)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return PG_SERVER.rsplit("/", 1)[0] + "/" + name


async def service_figures(engine: Engine, repeats: int, requests: int) -> None:
    env = clean_env(MASSLINE_DATABASE_URL=engine.url, MASSLINE_LOG_LEVEL="INFO")
    for attempt in range(repeats):
        port = free_port()
        service = await Service.start({**env, "MASSLINE_WEB_PORT": str(port)}, "web chat:")
        try:
            await _healthy(port)
            engine.startups.append(time.perf_counter() - service.started)
            if attempt == repeats - 1:
                engine.rss = service.memory()
                await _web_load(engine, port, requests)
                engine.loaded = service.memory()
        finally:
            await service.stop()


async def _healthy(port: int) -> None:
    async with ClientSession() as http:
        while True:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            await asyncio.sleep(0.005)


async def _web_load(engine: Engine, port: int, requests: int) -> None:
    """Members of the campaign on the web chat, 20 at a time, each a few commands."""
    web_members = [m for m in range(WEB_SHARE, engine.members + 1, WEB_SHARE)]
    step = max(1, len(web_members) // (requests // len(LOAD)))
    work = [(m, command) for m in web_members[::step] for command in LOAD][:requests]
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)

    async def person(http: ClientSession) -> None:
        while not queue.empty():
            member_id, command = queue.get_nowait()
            started = time.perf_counter()
            cookies = {"massline_chat": web_token(member_id)}
            url = f"http://127.0.0.1:{port}/api/chat/send"
            async with http.post(url, json={"text": command}, cookies=cookies) as answer:
                assert answer.status == 200, await answer.text()
                await answer.read()
            engine.web.append(time.perf_counter() - started)

    started = time.perf_counter()
    async with ClientSession(timeout=ClientTimeout(total=60)) as http:
        await asyncio.gather(*(person(http) for _ in range(20)))
    engine.web_rate = len(work) / (time.perf_counter() - started)


async def one_engine(name: str, url: str, members: int, quick: bool) -> Engine:
    engine = Engine(name, url, members)
    db = Database(url)
    try:
        print(f"   {name}: the campaign ({members:,} members) …", flush=True)
        await generate(db, members)
        print(f"   {name}: chat-facing queries …", flush=True)
        engine.findings, engine.messages = await measure(db, members, 120 if quick else 500)
    finally:
        await db.dispose()
    print(f"   {name}: the service's start-up and memory …", flush=True)
    await service_figures(engine, 2 if quick else 3, 400 if quick else 2_000)
    return engine


async def run(args: argparse.Namespace) -> None:
    members = 10_000 if args.quick else 100_000
    header = machine()
    (ROOT / "data" / "bench").mkdir(parents=True, exist_ok=True)
    sqlite_url = f"sqlite:///{ROOT}/data/bench/scale-v{VERSION}-{members}.db"
    engines = [await one_engine("SQLite", sqlite_url, members, args.quick)]
    engines.append(await one_engine("PostgreSQL", await pg_url(args.quick), members, args.quick))
    body = _section(header, engines)
    print(body)
    if args.write:
        write_section("scale", body)


def _section(header: str, engines: list[Engine]) -> str:
    from bench.scale_report import details, summary

    title = "## A year of a city-wide campaign (target 5)"
    return "\n\n".join([title, header, summary(engines), details(engines)])
