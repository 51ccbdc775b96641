"""The command line's console command: ``console-user create`` gives a person of the
campaign office, the leadership or a supervision group a web console password, creating
them in the organization when nobody of that name and role is there yet."""

from __future__ import annotations

import argparse
from typing import Any

from bot.commands import CLI_ACTOR, with_database
from config.i18n import default_catalog
from config.settings import Settings
from handlers.console_ops.logins import CONSOLE_ROLES, console_user
from storage.db import Database
from storage.repos import Repos


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    users = sub.add_parser("console-user", help="web console logins").add_subparsers(
        dest="sub", required=True
    )
    made = users.add_parser(
        "create", parents=[common], help="set a console password (creating the person if new)"
    )
    made.add_argument("--org", type=int, required=True)
    made.add_argument("--role", required=True, help="|".join(sorted(CONSOLE_ROLES)))
    made.add_argument("--name", required=True)
    made.add_argument("--password", required=True)
    made.set_defaults(action=console_user_create)


async def console_user_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        async def save(session: Any) -> dict[str, Any]:
            member, created = await console_user(
                Repos(session), args.org, args.role, args.name, args.password, actor=CLI_ACTOR
            )
            return {
                "member": member.id, "org": member.org_id, "name": member.name,
                "role": member.role, "created": created,
                "login": f"{settings.web_url}/console/login",
            }  # fmt: skip

        data = await db.run(save)
        key = "console.cli_created" if data["created"] else "console.cli_updated"
        text = default_catalog().text(settings.language, key, **data)
        return {"json": data, "text": text}

    return await with_database(settings, work)
