"""``survey create --org ID --from FILE.json [--open]``: a survey with the office's own
questions, checked and saved by handlers/surveys/build.py exactly as the console's builder
does — a draft, or opened at once with ``--open``. The file:

    {"title": "…", "closes": "下周五18:00", "opens": "", "audience": {"roles": ["member"]},
     "questions": [{"kind": "single|multi|rating|text", "text": "…",
                    "options": ["…", "…"], "required": true}]}
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands import with_database
from bot.commands_study import _services, _t
from config.settings import Settings
from handlers.admin_ops import OpError
from handlers.schedule import job_context
from handlers.surveys import build
from storage.db import Database
from storage.repos import Repos

FILE_LIMIT = 1_000_000


def _read(path: str) -> Any:
    try:
        raw = Path(path).read_bytes()
        if len(raw) > FILE_LIMIT:
            raise ValueError(f"larger than {FILE_LIMIT} bytes")
        return json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as problem:  # JSON and Unicode errors are ValueErrors
        raise OpError("surveys.build.cli_file", path=path, reason=str(problem)[:200]) from None


async def create_custom(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    services = _services(settings)
    draft = build.from_json(_read(args.source))

    async def work(db: Database) -> dict[str, Any]:
        async def create(session: AsyncSession) -> dict[str, Any]:
            repos = Repos(session)
            org = await repos.orgs.get(args.org)
            if org is None or org.id is None:
                raise OpError("ops.no_org", org=args.org)
            ctx = job_context(repos, services)
            ctx.org = org
            checked = await build.check(ctx, draft)
            if not checked.ok:
                problems = "; ".join(f"{name}: {text}" for name, text in checked.errors.items())
                raise OpError("surveys.build.cli_invalid", count=len(checked.errors),
                              problems=problems)  # fmt: skip
            survey = await build.save_draft(ctx, checked)
            reach = await build.open_draft(ctx, survey) if args.open else checked.reach
            return {"id": survey.id, "org": org.id, "title": survey.title,
                    "status": str(survey.status), "questions": len(checked.questions),
                    "reach": reach, "opens_at": survey.opens_at.isoformat(),
                    "closes_at": survey.closes_at.isoformat()}  # fmt: skip

        data = await db.run(create)
        key = "surveys.cli_created" if args.open else "surveys.build.cli_drafted"
        return {"json": data, "text": _t(settings, key, **data)}

    return await with_database(settings, work)
