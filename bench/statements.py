"""What one update costs the core, step by step: SQL statements, transactions, CPU.

    .venv/bin/python -m bench.statements [--cycles 20] [--users 50] [--show]

No Telegram here: the Dispatcher every channel uses is called directly with the target-1
mix (bench.mix) for ``--users`` people over ``--cycles`` rounds, against a fresh SQLite
file seeded as the benchmark seeds it. A SQLAlchemy event listener counts every statement
sent to the driver (BEGIN and COMMIT included) and the CPU time of each update is taken
(the median per step: other load on the machine only ever adds); ``--show`` prints one
person's replies and the statements of their last round, so repeats can be seen. A
diagnostic, not a benchmark: it writes nothing to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.fakeapi import FIRST_USER_ID
from bench.mix import MIX, Filler, seed


async def measure(args: argparse.Namespace) -> None:
    from config.i18n import default_catalog
    from config.settings import Settings
    from handlers.context import Services
    from handlers.dispatcher import Dispatcher
    from handlers.messages import Incoming
    from handlers.registry import build_router
    from storage.db import Database
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'massline.db'}"
        db = Database(url)
        await upgrade(db)
        await db.run(lambda s: seed(s, users=args.users, members=500, first_chat=FIRST_USER_ID))
        settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
        services = Services(
            catalog=default_catalog(),
            zone=settings.zone,
            default_language=settings.language,
            web_url=settings.web_url,
        )
        dispatcher = Dispatcher(db, services, build_router())
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
            seen.append(" ".join(statement.split()))

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        event.listen(db.engine.sync_engine, "commit", lambda _c: seen.append("COMMIT"))
        fill = Filler()
        statements: dict[int, list[int]] = defaultdict(list)
        cpu: dict[int, list[float]] = defaultdict(list)
        shown: Shown = []
        for cycle in range(args.cycles):
            for index, step in enumerate(MIX):
                for person in range(args.users):
                    text = fill(person, step.text)
                    message = Incoming("telegram", str(FIRST_USER_ID + person),
                                       text=text if step.kind == "message" else None,
                                       payload=text if step.kind != "message" else None,
                                       display_name=f"成员{person + 1}", language_hint="zh-hans",
                                       ref=str(cycle * 100 + index))  # fmt: skip
                    seen.clear()
                    began = time.process_time()
                    replies = await dispatcher.handle(message)
                    cpu[index].append(time.process_time() - began)
                    statements[index].append(len(seen))
                    assert replies, f"no answer to {text!r}"
                    if args.show and person == 0:
                        print(f"{text[:20]} => {[getattr(r, 'text', r)[:50] for r in replies]}")
                    if args.show and cycle == args.cycles - 1 and person == 0:
                        shown.append((index, list(seen)))
        await db.dispose()
    _print(statements, cpu, shown)


Shown = list[tuple[int, list[str]]]


def _print(statements: dict[int, list[int]], cpu: dict[int, list[float]], shown: Shown) -> None:
    print("| step | statements (BEGIN, COMMIT included) | CPU ms (median) |")
    print("| --- | ---: | ---: |")
    total_s, total_c = 0.0, 0.0
    for index, step in enumerate(MIX):
        s = statistics.mean(statements[index])
        c = statistics.median(cpu[index]) * 1000
        total_s, total_c = total_s + s, total_c + c
        print(f"| {step.kind} {step.text[:30]} | {s:.1f} | {c:.2f} |")
    print(f"| mean per update | {total_s / len(MIX):.1f} | {total_c / len(MIX):.2f} |")
    for index, seen in shown:
        print(f"\n{MIX[index].text}:")
        for statement in seen:
            print(f"    {statement[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.statements", description=__doc__)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--show", action="store_true", help="print one person's statements")
    asyncio.run(measure(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
