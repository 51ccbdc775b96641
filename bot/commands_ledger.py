"""The command line's ledger commands: export and import the rectification ledger as a
spreadsheet, and compile the monthly bulletin now (SPEC §5, issue 5).

``python -m bot ledger export --org ID FILE.xlsx [--csv]``,
``python -m bot ledger import --org ID FILE.xlsx``,
``python -m bot bulletin --org ID [--out DIR]``; each takes ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands import CLI_ACTOR, with_database
from config.i18n import default_catalog
from config.settings import Settings
from handlers.admin_ops import OpError
from handlers.ledger.bulletin import Draft, draft_bulletin, render_bulletin, store_bulletin
from handlers.ledger.excel import ledger_csv, ledger_workbook
from handlers.ledger.excel_import import import_ledger
from handlers.ledger.excel_read import read_ledger
from storage.db import Database
from storage.repos import Repos
from storage.types import utcnow


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    ledger = sub.add_parser("ledger", help="the rectification ledger (整改台帐)")
    actions = ledger.add_subparsers(dest="sub", required=True)
    export = actions.add_parser(
        "export", parents=[common], help="write the ledger of an organization and those below it"
    )
    export.add_argument("file", type=Path, help="FILE.xlsx (or FILE.csv)")
    export.add_argument("--org", type=int, required=True)
    export.add_argument("--csv", action="store_true", help="write CSV (UTF-8 with BOM)")
    export.set_defaults(action=ledger_export)
    loaded = actions.add_parser(
        "import", parents=[common], help="import items from a ledger spreadsheet (.xlsx)"
    )
    loaded.add_argument("file", type=Path)
    loaded.add_argument("--org", type=int, required=True)
    loaded.set_defaults(action=ledger_import)
    bulletin = sub.add_parser(
        "bulletin",
        parents=[common],
        help="compile the monthly bulletin (月通报) now",
        description="compile the monthly bulletin now: its text, a chart and a spreadsheet",
    )
    bulletin.add_argument("--org", type=int, required=True)
    bulletin.add_argument("--out", type=Path, help="directory for the chart and spreadsheet")
    bulletin.set_defaults(action=bulletin_cmd)


def _t(settings: Settings, key: str, **params: object) -> str:
    return default_catalog().text(settings.language, key, **params)


async def _zone(repos: Repos, org_id: int, settings: Settings) -> ZoneInfo:
    org = await repos.orgs.get(org_id)
    if org is None:
        raise OpError("ops.no_org", org=org_id)
    return ZoneInfo(org.timezone) if org.timezone else settings.zone


def _write(path: Path, data: bytes) -> str:
    """Write ``data``; a failure is the user's to fix (an OpError), not a database fault."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise OpError("ledger_files.write_failed", file=path, reason=exc.strerror or exc) from exc
    return str(path.resolve())


async def ledger_export(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    as_csv = args.csv or args.file.suffix.lower() == ".csv"

    async def work(db: Database) -> dict[str, Any]:
        async def read(session: Any) -> tuple[bytes, int]:
            repos = Repos(session)
            zone = await _zone(repos, args.org, settings)
            org_ids = await repos.orgs.subtree_ids(args.org)
            build = ledger_csv if as_csv else ledger_workbook
            data = await build(repos, org_ids, settings.language, zone)
            return data, len(await repos.ledger.items(org_ids))

        data, items = await db.run(read)
        file = _write(args.file, data)
        found = {"org": args.org, "file": file, "format": "csv" if as_csv else "xlsx"}
        found |= {"items": items, "bytes": len(data)}
        text = _t(settings, "ledger_files.cli.exported", items=items, file=file)
        return {"json": found, "text": text}

    return await with_database(settings, work)


async def ledger_import(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    sheet = read_ledger(args.file, settings.language)

    async def work(db: Database) -> dict[str, Any]:
        async def load(session: Any) -> Any:
            repos = Repos(session)
            zone = await _zone(repos, args.org, settings)
            return await import_ledger(
                repos, args.org, sheet, now=utcnow(), zone=zone, actor=CLI_ACTOR
            )

        report = await db.run(load)
        errors = [
            {
                "row": row,
                "code": problem.key,
                "message": _t(settings, problem.key, **problem.params),
            }
            for row, problem in report.errors
        ]
        done = len(report.imported)
        lines = [_t(settings, "ledger_files.cli.imported", imported=done, errors=len(errors))]
        lines += [_t(settings, "ledger_files.cli.import_ok", **item) for item in report.imported]
        lines += [_t(settings, "ledger_files.cli.import_error", **error) for error in errors]
        data = {
            "org": args.org,
            "imported": len(report.imported),
            "items": report.imported,
            "errors": errors,
        }
        return {"json": data, "text": "\n".join(lines)}

    return await with_database(settings, work)


def bulletin_dir(settings: Settings) -> Path:
    """data/bulletins beside the SQLite file; under ./data for PostgreSQL."""
    database = settings.sqlite_path()
    return (database.parent if database is not None else Path("data")) / "bulletins"


async def bulletin_cmd(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        async def draft(session: Any) -> Draft:
            repos = Repos(session)
            zone = await _zone(repos, args.org, settings)
            return await draft_bulletin(repos, args.org, utcnow(), zone, settings.language)

        # Drawing takes a while: not inside a transaction, which would hold SQLite's lock.
        found = await asyncio.to_thread(render_bulletin, await db.run(draft))
        parts = await db.run(lambda s: store_bulletin(Repos(s), args.org, found))
        out: Path = args.out or bulletin_dir(settings)
        stem = out / f"bulletin-org{args.org}-{parts.month}"
        chart = _write(stem.with_suffix(".png"), parts.chart_png)
        spreadsheet = _write(stem.with_suffix(".xlsx"), parts.workbook)
        data = {"org": args.org, "id": parts.bulletin_id, "month": parts.month}
        data |= {"text": parts.text, "chart": chart, "spreadsheet": spreadsheet}
        text = _t(
            settings, "ledger_files.cli.bulletin", text=parts.text, chart=chart,
            spreadsheet=spreadsheet,
        )  # fmt: skip
        return {"json": data, "text": text}

    return await with_database(settings, work)
