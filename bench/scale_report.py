"""The scale benchmark's section of BENCHMARKS.md: the summary against the targets, the
statements by p99, and the plans of the hot ones."""

from __future__ import annotations

import re
import statistics
from typing import TYPE_CHECKING

from bench.report import percentile, table

if TYPE_CHECKING:
    from bench.scale import Engine
    from bench.scale_queries import Statement

SHOWN = 20


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.2f}"


def short_sql(sql: str) -> str:
    """The statement with its column list elided: what it reads, and how it picks."""
    sql = " ".join(sql.split())
    found = re.match(r"^SELECT (.+?) FROM ", sql)
    if found is not None:
        sql = sql.replace(found.group(1), _columns(found.group(1)), 1)
    return sql if len(sql) < 400 else sql[:400] + " …"


def _columns(columns: str) -> str:
    return "…" if columns.count(",") > 3 else columns


def summary(engines: list[Engine]) -> str:
    rows = []
    for e in engines:
        assert e.findings is not None
        chat = [s for s in e.findings.statements.values() if not s.background]
        worst = max(chat, key=lambda s: percentile(s.times, 0.99))
        everything = [t for c, times in e.findings.commands.items() for t in times
                      if not c.startswith("(")]  # fmt: skip
        rows.append([
            e.name, f"{e.members:,}", f"**{statistics.median(e.startups):.2f}**",
            f"{e.rss[0]:.0f}", f"**{e.loaded[0]:.0f}** (peak {e.loaded[1]:.0f})",
            f"{e.web_rate:.0f}", _ms(e.web, 0.99), str(len(e.findings.statements)),
            f"**{percentile(worst.times, 0.99) * 1000:.2f}**", _ms(everything, 0.99),
        ])  # fmt: skip
    head = ["engine", "members", "start-up s (target < 3)", "RSS after start MB",
            "RSS after the load MB (target < 200)", "web chat req/s", "web chat p99 ms",
            "distinct statements", "slowest statement p99 ms (target < 10)",
            "whole message p99 ms"]  # fmt: skip
    return "\n\n".join([
        "Start-up: from spawning `python -m bot run` (it checks the schema's revision first, "
        "as shipped) to /healthz answering, the median of several starts. Memory: the "
        "service's resident set after start-up, and after the web chat load (its members "
        "sending /help, /study, /deadlines, /my, 20 at a time). Statements: each SQL "
        "statement the core ran while a sample of members of every role in every "
        "organization sent their role's commands (Telegram, WeChat and web chat accounts), "
        "timed at the driver; the whole message includes the transaction, the ORM and the "
        "handlers.",
        table(head, rows),
    ])  # fmt: skip


def details(engines: list[Engine]) -> str:
    parts = []
    for e in engines:
        assert e.findings is not None
        rows = [
            [s.tables, ", ".join(sorted(s.commands)[:5]), str(len(s.times)), _ms(s.times, 0.5),
             _ms(s.times, 0.99), _ms(s.times, 1.0)]
            for s in e.findings.ordered()[:SHOWN]
        ]  # fmt: skip
        parts.append(f"### {e.name}: statements by p99 ({e.messages:,} messages)")
        parts.append(table(["statement", "commands", "runs", "p50 ms", "p99 ms", "max ms"], rows))
        commands = [
            [c, str(len(t)), _ms(t, 0.5), _ms(t, 0.99)]
            for c, t in sorted(e.findings.commands.items())
        ]
        parts.append(table(["command", "messages", "p50 ms", "p99 ms"], commands))
        parts.append(f"### {e.name}: plans of the hot statements")
        parts += [_plan(s) for s in e.findings.hot(e.messages) if s.plan]
    return "\n\n".join(parts)


def _plan(statement: Statement) -> str:
    lines = "\n".join(f"    {line}" for line in statement.plan)
    return (
        f"`{short_sql(statement.sql)}` — p99 {_ms(statement.times, 0.99)} ms, "
        f"{len(statement.times)} runs\n\n{lines}"
    )
