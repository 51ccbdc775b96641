"""The command line's commands: each parses its arguments and returns JSON plus text."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from config.i18n import default_catalog
from config.settings import Settings
from handlers.admin_ops import Links, create_invite, create_org, invite_summary
from handlers.demo import seed_demo
from handlers.roster import import_roster, read_xlsx
from storage.anonymity import display_receipt
from storage.db import Database
from storage.invites import display_code
from storage.migrate import current_revision, upgrade
from storage.models import OrgKind, Rank, Role
from storage.repos import Repos
from storage.types import utcnow

CLI_ACTOR = "cli"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    def add(name: str, action: Any, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        command.set_defaults(action=action)
        return command

    run = add("run", None, "start the service: web chat, console, and configured channels")
    run.add_argument("--no-migrate", action="store_true", help="do not upgrade the schema")
    add("migrate", migrate, "upgrade the database schema to the newest version")

    org = sub.add_parser("org", help="organizations").add_subparsers(dest="sub", required=True)
    created = org.add_parser("create", parents=[common], help="create an organization")
    created.add_argument("name")
    created.add_argument("--parent", type=int)
    # Values are checked by the operation, not argparse, so a wrong one gets the same
    # translated message (and, with --json, one JSON object) as every other mistake.
    created.add_argument("--kind", default=OrgKind.unit, help="|".join(OrgKind))
    created.set_defaults(action=org_create)

    invite = sub.add_parser("invite", help="invite codes").add_subparsers(dest="sub", required=True)
    made = invite.add_parser("create", parents=[common], help="create an invite code")
    made.add_argument("--org", type=int, required=True)
    made.add_argument("--role", required=True, help="|".join(Role))
    made.add_argument("--rank", help="|".join(Rank))
    made.add_argument("--uses", type=int, help="how many people may join with it")
    made.add_argument("--days", type=int, help="valid for this many days")
    made.set_defaults(action=invite_create)

    members = sub.add_parser("members", help="members").add_subparsers(dest="sub", required=True)
    roster = members.add_parser(
        "import", parents=[common], help="import a roster spreadsheet (.xlsx)"
    )
    roster.add_argument("file", type=Path)
    roster.add_argument("--org", type=int, required=True)
    roster.set_defaults(action=members_import)

    saved = add("backup", backup_cmd, "copy the database to FILE while the service runs")
    saved.add_argument("file", type=Path)
    back = add("restore", restore_cmd, "replace the database with the backup in FILE")
    back.add_argument("file", type=Path)

    demo_cmd = add("demo", demo, "fill an empty database with a demo unit")
    demo_cmd.add_argument("--if-empty", action="store_true", help="do nothing if data exists")


async def with_database(
    settings: Settings, work: Callable[[Database], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """Open the database (migrated to the newest schema), run ``work``, close it."""
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        return await work(db)
    finally:
        await db.dispose()


def _t(settings: Settings, key: str, **params: object) -> str:
    return default_catalog().text(settings.language, key, **params)


def _links(settings: Settings) -> Links:
    return Links(settings.telegram_bot_username, settings.web_url)


async def migrate(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        revision = await current_revision(db)
        return {
            "json": {"revision": revision},
            "text": _t(settings, "cli.migrated", revision=revision),
        }

    return await with_database(settings, work)


async def org_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        org = await db.run(
            lambda s: create_org(
                Repos(s),
                args.name,
                kind=args.kind,
                parent_id=args.parent,
                actor=CLI_ACTOR,
                timezone=settings.timezone,
            )
        )
        data = {"id": org.id, "name": org.name, "kind": org.kind, "parent": org.parent_id}
        kind = _t(settings, f"kind.{org.kind}")
        return {"json": data, "text": _t(settings, "cli.org_created", **{**data, "kind": kind})}

    return await with_database(settings, work)


async def invite_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        invite = await db.run(
            lambda s: create_invite(
                Repos(s),
                args.org,
                args.role,
                rank=args.rank,
                uses=args.uses,
                valid_days=args.days,
                actor=CLI_ACTOR,
                now=utcnow(),
            )
        )
        data = invite_summary(invite, _links(settings))
        return {"json": data, "text": _t(settings, "cli.invite_created", **data)}

    return await with_database(settings, work)


async def members_import(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    rows = read_xlsx(args.file)

    async def work(db: Database) -> dict[str, Any]:
        report = await db.run(lambda s: import_roster(Repos(s), args.org, rows, actor=CLI_ACTOR))
        errors = [
            {
                "row": row,
                "code": problem.key,
                "message": _t(settings, problem.key, **problem.params),
            }
            for row, problem in report.errors
        ]
        lines = [_t(settings, "cli.import_done", imported=len(report.imported), errors=len(errors))]
        lines += [_t(settings, "cli.import_ok", **item) for item in report.imported]
        lines += [_t(settings, "cli.import_error", **item) for item in errors]
        data = {
            "org": args.org,
            "imported": len(report.imported),
            "members": report.imported,
            "errors": errors,
        }
        return {"json": data, "text": "\n".join(lines)}

    return await with_database(settings, work)


async def demo(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        async def seed(session: Any) -> Any:
            repos = Repos(session)
            if args.if_empty and await repos.orgs.count() and await repos.orgs.demo() is None:
                return None
            today = utcnow().astimezone(settings.zone).date()
            return await seed_demo(repos, today, zone=settings.timezone)

        found = await db.run(seed)
        if found is None:
            return {
                "json": {"org": None, "invites": {}, "created": False},
                "text": _t(settings, "cli.demo_skipped"),
            }
        links = _links(settings)
        lines = [
            _t(
                settings,
                "cli.demo_created" if found.created else "cli.demo_exists",
                org=found.org_id,
            )
        ]
        for role, code in found.invites.items():
            lines.append(
                _t(
                    settings,
                    "cli.demo_invite",
                    role=_t(settings, f"role.{role}"),
                    code=display_code(code),
                    link=links.for_code(code)["web"],
                )
            )
        if found.receipt:
            lines.append(_t(settings, "cli.demo_receipt", code=display_receipt(found.receipt)))
        lines.append(_t(settings, "cli.demo_web", url=settings.web_url))
        data = {"org": found.org_id, "invites": found.invites, "created": found.created}
        if found.receipt:
            data["receipt"] = found.receipt
        return {"json": data, "text": "\n".join(lines)}

    return await with_database(settings, work)


async def backup_cmd(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    from bot.backup import backup

    data = await backup(settings, args.file)
    return {
        "json": data,
        "text": _t(
            settings,
            "cli.backup_done",
            file=data["file"],
            bytes=data["bytes"],
            integrity=data["integrity"],
        ),
    }


async def restore_cmd(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    from bot.backup import restore

    data = await restore(settings, args.file)
    return {
        "json": data,
        "text": _t(
            settings,
            "cli.restore_done",
            file=data["file"],
            database=data["database"],
            integrity=data["integrity"],
        ),
    }
