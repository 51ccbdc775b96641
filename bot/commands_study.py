"""The command line's study commands: ``session create`` and the stage calendar
(``stage set``, ``stage list``). Each returns JSON plus text, as bot/commands.py's do."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands import CLI_ACTOR, with_database
from config.i18n import default_catalog
from config.settings import Settings
from handlers.admin_ops import OpError
from handlers.context import Services
from handlers.schedule import job_context
from handlers.study.ops import clean_place, create_session
from handlers.study.when import WhenError, format_span, parse_time
from storage.db import Database
from storage.models import Stage
from storage.repos import Repos


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    session = sub.add_parser("session", help="study sessions")
    made = session.add_subparsers(dest="sub", required=True).add_parser(
        "create", parents=[common], help="create a study session (times in the org's zone)"
    )
    made.add_argument("--org", type=int, required=True)
    made.add_argument("--title", required=True)
    made.add_argument("--start", required=True, help="YYYY-MM-DD HH:MM")
    made.add_argument("--end", required=True, help="YYYY-MM-DD HH:MM")
    made.add_argument("--place", help="a room, or the meeting link")
    made.add_argument("--online", action="store_true", help="check in with a button")
    made.set_defaults(action=session_create)

    stage = sub.add_parser("stage", help="the stage calendar").add_subparsers(
        dest="sub", required=True
    )
    chosen = stage.add_parser("set", parents=[common], help="set one stage's dates")
    chosen.add_argument("--org", type=int, required=True)
    chosen.add_argument("--stage", required=True, help="|".join(Stage))
    chosen.add_argument("--from", dest="starts", required=True, help="YYYY-MM-DD")
    chosen.add_argument("--to", dest="ends", required=True, help="YYYY-MM-DD")
    chosen.set_defaults(action=stage_set)
    listed = stage.add_parser("list", parents=[common], help="an organization's stages")
    listed.add_argument("--org", type=int, required=True)
    listed.set_defaults(action=stage_list)


def _t(settings: Settings, key: str, **params: object) -> str:
    return default_catalog().text(settings.language, key, **params)


def _services(settings: Settings) -> Services:
    return Services(
        catalog=default_catalog(),
        zone=settings.zone,
        default_language=settings.language,
        web_url=settings.web_url,
        telegram_username=settings.telegram_bot_username,
    )


async def session_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    services = _services(settings)

    async def work(db: Database) -> dict[str, Any]:
        async def create(session: AsyncSession) -> dict[str, Any]:
            repos = Repos(session)
            org = await repos.orgs.get(args.org)
            if org is None:
                raise OpError("ops.no_org", org=args.org)
            ctx = job_context(repos, services)
            ctx.org = org
            now = services.clock()
            try:
                start = parse_time(args.start, now, ctx.zone, allow_past=True)
                end = parse_time(args.end, now, ctx.zone, allow_past=True)
            except WhenError as problem:
                params = problem.params_for(ctx.zone, settings.language)
                raise OpError(problem.reason_key, **params) from None
            place, online = clean_place(args.place) if args.place else (None, False)
            made, reminded = await create_session(
                ctx, org, title=args.title, starts_at=start, ends_at=end, place=place,
                online=online or args.online, actor=CLI_ACTOR,
            )  # fmt: skip
            return {
                "id": made.id, "org": org.id, "title": made.title, "kind": made.kind,
                "starts_at": made.starts_at.isoformat(), "ends_at": made.ends_at.isoformat(),
                "place": made.place, "online": made.online, "reminded": reminded,
                "when": format_span(made.starts_at, made.ends_at, ctx.zone, settings.language),
            }  # fmt: skip

        data = await db.run(create)
        place = data["place"] or _t(settings, "study.cli_no_place")
        text = _t(settings, "study.cli_session_created", **{**data, "place": place})
        return {"json": {k: v for k, v in data.items() if k != "when"}, "text": text}

    return await with_database(settings, work)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise OpError("study.cli_date", value=value[:40]) from None


async def stage_set(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    if args.stage not in Stage.__members__:
        raise OpError("study.cli_stage", stage=args.stage[:40], stages="|".join(Stage))
    starts, ends = _day(args.starts), _day(args.ends)
    if ends < starts:
        raise OpError("study.cli_dates_order")

    async def work(db: Database) -> dict[str, Any]:
        async def set_stage(session: AsyncSession) -> list[dict[str, str]]:
            repos = Repos(session)
            if await repos.orgs.get(args.org) is None:
                raise OpError("ops.no_org", org=args.org)
            await repos.orgs.set_stage(args.org, args.stage, starts, ends)
            await repos.audit.record(CLI_ACTOR, "stage.set", org_id=args.org, stage=args.stage,
                                     starts=starts.isoformat(), ends=ends.isoformat())  # fmt: skip
            return await _stages(repos, args.org)

        stages = await db.run(set_stage)
        text = _t(settings, "study.cli_stage_set", org=args.org, starts=starts, ends=ends,
                  stage=_t(settings, f"stage.{args.stage}"))  # fmt: skip
        data = {"org": args.org, "stage": args.stage, "from": starts.isoformat(),
                "to": ends.isoformat(), "stages": stages}  # fmt: skip
        return {"json": data, "text": text}

    return await with_database(settings, work)


async def stage_list(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        async def read(session: AsyncSession) -> list[dict[str, str]]:
            repos = Repos(session)
            if await repos.orgs.get(args.org) is None:
                raise OpError("ops.no_org", org=args.org)
            return await _stages(repos, args.org)

        stages = await db.run(read)
        lines = [
            _t(settings, "study.cli_stage_line", stage=_t(settings, f"stage.{s['stage']}"),
               starts=s["from"], ends=s["to"])
            for s in stages
        ] or [_t(settings, "study.cli_stages_none", org=args.org)]  # fmt: skip
        return {"json": {"org": args.org, "stages": stages}, "text": "\n".join(lines)}

    return await with_database(settings, work)


async def _stages(repos: Repos, org_id: int) -> list[dict[str, str]]:
    return [
        {"stage": p.stage, "from": p.starts_on.isoformat(), "to": p.ends_on.isoformat()}
        for p in await repos.orgs.stages(org_id)
    ]
