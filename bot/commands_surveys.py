"""The command line's surveys: ``survey create`` from a campaign template and ``survey
results`` (withheld below k, sealed until the window closes)."""

from __future__ import annotations

import argparse
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands import with_database
from bot.commands_study import _services, _t
from bot.commands_survey_custom import create_custom
from config.settings import Settings
from handlers.admin_ops import OpError
from handlers.schedule import job_context
from handlers.surveys.common import TEMPLATES, K, open_survey_from_template, results_visible
from storage.db import Database
from storage.examine_models import QuestionKind
from storage.repos import Repos


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    survey = sub.add_parser("survey", help="surveys").add_subparsers(dest="sub", required=True)
    made = survey.add_parser(
        "create", parents=[common], help="open a survey from a template, or draft your own"
    )
    made.add_argument("--org", type=int, required=True)
    source = made.add_mutually_exclusive_group(required=True)
    source.add_argument("--template", help="|".join(TEMPLATES))
    source.add_argument("--from", dest="source", metavar="FILE.json", help="your own questions")
    made.add_argument("--open", action="store_true", help="with --from: open it at once")
    made.add_argument("--title")
    made.set_defaults(action=survey_create)
    read = survey.add_parser("results", parents=[common], help="a survey's results")
    read.add_argument("id", type=int)
    read.set_defaults(action=survey_results)


async def survey_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    if args.source:
        return await create_custom(args, settings)
    services = _services(settings)

    async def work(db: Database) -> dict[str, Any]:
        async def create(session: AsyncSession) -> dict[str, Any]:
            repos = Repos(session)
            org = await repos.orgs.get(args.org)
            if org is None or org.id is None:
                raise OpError("ops.no_org", org=args.org)
            if args.template not in TEMPLATES:
                raise OpError(
                    "surveys.cli_template", template=args.template, templates="|".join(TEMPLATES)
                )
            ctx = job_context(repos, services)
            ctx.org = org
            survey = await open_survey_from_template(ctx, org.id, args.template, {}, args.title)
            await repos.audit.record("cli", "survey.open", org_id=org.id, survey=survey.id)
            return {
                "id": survey.id,
                "org": org.id,
                "title": survey.title,
                "template": survey.template,
                "closes_at": survey.closes_at.isoformat(),
            }

        data = await db.run(create)
        return {"json": data, "text": _t(settings, "surveys.cli_created", **data)}

    return await with_database(settings, work)


async def survey_results(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    services = _services(settings)

    async def work(db: Database) -> dict[str, Any]:
        async def read(session: AsyncSession) -> dict[str, Any]:
            repos = Repos(session)
            survey = await repos.surveys.get(args.id)
            if survey is None or survey.id is None:
                raise OpError("surveys.cli_no_survey", id=args.id)
            ctx = job_context(repos, services)
            responses = await repos.surveys.response_count(survey.id)
            data: dict[str, Any] = {
                "id": survey.id,
                "title": survey.title,
                "responses": responses,
                "withheld": False,
                "questions": [],
            }
            if not results_visible(ctx, survey) or responses < K:
                data["withheld"] = True
                data["reason"] = "sealed" if not results_visible(ctx, survey) else f"below k={K}"
                return data
            tallies = await repos.surveys.tallies(survey.id)
            for q in await repos.surveys.questions(survey.id):
                entry: dict[str, Any] = {"position": q.position, "text": q.text, "kind": q.kind}
                if q.kind == QuestionKind.text:
                    entry["answers"] = await repos.surveys.texts(q.id)  # type: ignore[arg-type]
                else:
                    first = 1 if q.kind == QuestionKind.rating else 0
                    labels = ["1", "2", "3", "4", "5"] if first else q.options
                    counts = tallies.get(q.id, {})  # type: ignore[call-overload]
                    entry["counts"] = {
                        label: counts.get(i, 0) for i, label in enumerate(labels, start=first)
                    }
                data["questions"].append(entry)
            return data

        data = await db.run(read)
        key = "surveys.cli_withheld" if data["withheld"] else "surveys.cli_results"
        return {"json": data, "text": _t(settings, key, **data)}

    return await with_database(settings, work)
