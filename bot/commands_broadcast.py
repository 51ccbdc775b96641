"""``python -m bot broadcast`` and ``broadcast-status`` (SPEC §5).

``broadcast`` stores the broadcast and returns its id at once; one sent now is handed to
the outbox in the same transaction, and the running service delivers it (a later one is
handed over by the service's scheduler). ``broadcast-status ID`` counts its messages:
queued, sent, blocked (unreachable), failed.
"""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import date
from typing import Any

from bot.commands import CLI_ACTOR, with_database
from config.i18n import default_catalog
from config.settings import Settings
from handlers.admin_ops import OpError
from handlers.broadcasts.common import (
    audience_counts,
    parse_send_time,
    parse_until,
    roles_of,
)
from handlers.broadcasts.ops import batch_counts, create_broadcast, figures, start_now
from handlers.context import Services
from handlers.schedule import job_context, org_zone
from handlers.timeparse import TimeParseError, format_when
from storage.db import Database
from storage.models import Role
from storage.repos import Repos
from storage.study_models import Broadcast
from storage.types import utcnow


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "queue a broadcast to an organization's members; prints its id at once"
    made = sub.add_parser("broadcast", parents=[common], help=text, description=text)
    made.add_argument("--org", type=int, required=True)
    made.add_argument("--text", required=True)
    made.add_argument("--at", default="now", help="now (default), or e.g. '2026-12-01 15:00' "
                      "in the organization's time zone")  # fmt: skip
    made.add_argument("--role", action="append", default=[],
                      help="|".join(Role) + "; repeat for several; none: everyone")  # fmt: skip
    made.add_argument("--repeat", help="daily|weekly, with --until")
    made.add_argument("--until", help="the last day of a repeating broadcast")
    made.set_defaults(action=broadcast_create)
    text = "count a broadcast's messages: queued, sent, blocked, failed"
    status = sub.add_parser("broadcast-status", parents=[common], help=text, description=text)
    status.add_argument("id", type=int)
    status.set_defaults(action=broadcast_status)


def _t(settings: Settings, key: str, **params: object) -> str:
    return default_catalog().text(settings.language, key, **params)


def _services(settings: Settings) -> Services:
    return Services(catalog=default_catalog(), zone=settings.zone,
                    default_language=settings.language, web_url=settings.web_url)  # fmt: skip


async def broadcast_create(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        return await db.run(lambda session: _create(Repos(session), args, settings))

    return await with_database(settings, work)


async def _create(db: Repos, args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    now = utcnow()
    org = await db.orgs.get(args.org)
    if org is None:
        raise OpError("ops.no_org", org=args.org)
    zone = org_zone(org)
    try:
        send_at = parse_send_time(args.at, now, zone)
        until = parse_until(args.until, send_at, now, zone) if args.until else None
    except TimeParseError as problem:
        params = problem.params_for(zone, settings.language, now)
        raise OpError(problem.reason_key, **params) from None
    roles = list(dict.fromkeys(args.role))
    row = await create_broadcast(
        db, org_id=org.id, text=args.text, roles=roles, send_at=send_at, now=now,  # type: ignore[arg-type]
        repeat=args.repeat, until=until, actor=CLI_ACTOR,
    )  # fmt: skip
    assert row.id is not None
    queued = await start_now(job_context(db, _services(settings)), row) if send_at == now else 0
    members, reachable = await audience_counts(db, row.org_id, roles)
    audience = ", ".join(_t(settings, f"role.{r}") for r in roles) or _t(
        settings, "broadcasts.everyone"
    )
    when = format_when(send_at, zone, settings.language, now=now)
    data = {
        "id": row.id,
        "org": row.org_id,
        "send_at": send_at.isoformat(),
        "roles": roles,
        "repeat": row.repeat,
        "until": until.isoformat() if until else None,
        "members": members,
        "reachable": reachable,
        "queued": queued,
    }
    text = _t(settings, "broadcasts.cli_created", id=row.id, when=when, audience=audience,
              members=members)  # fmt: skip
    return {"json": data, "text": text}


async def broadcast_status(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    async def work(db: Database) -> dict[str, Any]:
        return await db.run(lambda session: _status(Repos(session), args.id, settings))

    return await with_database(settings, work)


async def _status(db: Repos, broadcast_id: int, settings: Settings) -> dict[str, Any]:
    row: Broadcast | None = await db.study.broadcast(broadcast_id)
    if row is None:
        raise OpError("broadcasts.cli_not_found", id=broadcast_id)
    total: Counter[str] = Counter()
    days = []
    for batch, counts in (await batch_counts(db, broadcast_id)).items():
        total.update(counts)
        days.append({"day": date.fromisoformat(batch.rsplit(":", 1)[-1]).isoformat(),
                     **figures(counts)})  # fmt: skip
    found = figures(total)
    data = {"id": row.id, "status": row.status, "roles": roles_of(row.audience),
            "send_at": row.send_at.isoformat(), **found, "occurrences": days}  # fmt: skip
    status = _t(settings, f"broadcasts.status_{row.status}")
    return {"json": data, "text": _t(settings, "broadcasts.cli_status", id=row.id,
                                     status=status, **found)}  # fmt: skip
