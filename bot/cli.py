"""``python -m bot``: run the service, and the campaign office's commands (SPEC §5).

Every command takes ``--json`` and then prints exactly one JSON object on standard
output; without it, it prints lines for a person, in MASSLINE_LANGUAGE.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from bot import (
    commands,
    commands_broadcast,
    commands_console,
    commands_ledger,
    commands_study,
    commands_surveys,
)
from config.i18n import default_catalog
from config.settings import Settings, SettingsError, load_settings
from handlers.admin_ops import OpError
from storage.db import is_transient

Result = dict[str, Any]
Command = Callable[[argparse.Namespace, Settings], Awaitable[Result]]


def parser(*, json_errors: bool = False) -> argparse.ArgumentParser:
    class Parser(argparse.ArgumentParser):
        """argparse, except that with --json a usage mistake is one JSON object too."""

        def error(self, message: str) -> NoReturn:
            if not json_errors:
                super().error(message)
            self.print_usage(sys.stderr)
            error = {"code": "usage", "message": f"{self.prog}: {message}"}
            print(json.dumps({"error": error}, ensure_ascii=False))
            raise SystemExit(2)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print one JSON object")
    top = Parser(
        prog="python -m bot",
        description="群众路线助手 Massline: the service and the campaign office's commands.",
        parents=[common],
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (
        commands,
        commands_ledger,
        commands_study,
        commands_surveys,
        commands_console,
        commands_broadcast,
    ):
        group.register(sub, common)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser(json_errors="--json" in argv).parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(args, "settings", str(exc), code=2)
    if args.command == "run":
        from bot.serve import serve

        return serve(settings, migrate=not args.no_migrate)
    action: Command = args.action
    catalog = default_catalog()
    try:
        result = asyncio.run(action(args, settings))
    except OpError as problem:
        message = catalog.text(settings.language, problem.key, **problem.params)
        return _fail(args, problem.key, message)
    except Exception as exc:
        if not is_transient(exc):
            raise
        message = catalog.text(
            settings.language, "cli.database_unavailable", url=_safe_url(settings)
        )
        return _fail(args, "database", message)
    if args.json:
        print(json.dumps(result.get("json", result), ensure_ascii=False))
    else:
        print(result.get("text", ""))
    return 0


def _fail(args: argparse.Namespace, key: str, message: str, code: int = 1) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": {"code": key, "message": message}}, ensure_ascii=False))
    else:
        print(message, file=sys.stderr)
    return code


def _safe_url(settings: Settings) -> str:
    """The database URL without a password, for messages."""
    scheme, _, rest = settings.database_url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        rest = f"{credentials.split(':', 1)[0]}@{host}"
    return f"{scheme}://{rest}"
