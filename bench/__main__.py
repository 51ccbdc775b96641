"""``python -m bench [NAME ...]``: run every benchmark, or the named ones."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

BENCHMARKS = {
    "updates": "bench.updates",
    "webhook": "bench.webhook",
    "broadcast": "bench.broadcast",
    "scheduler": "bench.scheduler",
    "scale": "bench.scale",
    "wechat": "bench.wechat",
    "scaleout": "bench.scaleout",
}


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {sorted(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true", help="fewer updates, for a first look")
    parser.add_argument("--updates", type=int, help="updates per contender and mode (3000)")
    parser.add_argument("--users", type=int, default=50, help="simulated people (50)")
    parser.add_argument("--members", type=int, default=500, help="members in the database")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each contender (3)")
    parser.add_argument("--only", action="append", help="contenders whose name contains this")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--no-write", dest="write", action="store_false",
                        help="print only; leave BENCHMARKS.md alone")  # fmt: skip
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)}; there are {', '.join(BENCHMARKS)}")
    if args.updates is None:
        args.updates = 600 if args.quick else 3000
    if args.users < 1 or args.updates < args.users:
        parser.error("need at least one person, and at least one update per person")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}")
        module = importlib.import_module(BENCHMARKS[name])
        asyncio.run(module.run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
