"""The features, in the order the router tries them; the catch-all answers last."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from handlers import (
    broadcasts,
    channel_pref,
    console_link,
    core,
    deadlines,
    examine,
    ledger,
    membership,
    office,
    opinions,
    study,
    surveys,
)
from handlers.context import Services
from handlers.feature import Feature
from handlers.menu import show_menu
from handlers.opinions import jobs as opinion_jobs
from handlers.router import Router
from handlers.schedule import Source
from storage.repos import Repos

FEATURES: tuple[Feature, ...] = (
    membership.feature,
    opinions.feature,
    deadlines.feature,
    study.feature,
    ledger.feature,
    surveys.feature,
    examine.feature,
    office.feature,
    console_link.feature,
    broadcasts.feature,
    channel_pref.feature,
    core.feature,
)


def build_router() -> Router:
    return Router(FEATURES, fallback=core.fallback, menu=show_menu)


Job = Callable[[Repos, Services, datetime], Awaitable[dict[str, int]]]

# Periodic work, once a minute, in this order.
JOBS: tuple[tuple[str, Job], ...] = (
    ("opinions", opinion_jobs.run_due),
    ("ratings", ledger.ratings.flush_daily),
    ("surveys", surveys.flush_answers),
)

# Due moments (reminders, broadcasts), checked every few seconds.
DUE_SOURCES: tuple[Source, ...] = (
    deadlines.deadline_reminders,
    ledger.item_reminders,
    ledger.bulletin_chat.bulletin_dues,
    study.session_reminders,
    surveys.survey_dues,
    examine.examine_reminders,
    broadcasts.broadcast_dues,
)
