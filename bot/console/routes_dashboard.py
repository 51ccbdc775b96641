"""The dashboard: the stage calendar, opinions by category, the ledger by status with what
is overdue or at risk, study attendance and hours by rank, deadlines with who still owes."""

from __future__ import annotations

from aiohttp import web

from bot.console.charts import bar_chart, status_chart
from bot.console.page import Page
from bot.console.routing import READERS, RouteTable
from handlers.console_ops.dashboard import Dashboard, dashboard
from handlers.console_ops.opinions import Row, inbox
from handlers.ledger.bulletin import COLORS
from handlers.ledger.bulletin_figures import STATUSES
from storage.models import Role
from storage.repos import Repos

routes = RouteTable()
SERIES_COLOURS = ("#1e88e5", "#43a047", "#e53935")


@routes.get("/console", roles=READERS)
async def home(page: Page) -> web.StreamResponse:
    viewer = page.me

    async def read(db: Repos) -> tuple[Dashboard, list[Row]]:
        ctx = page.ops(db)
        figures = await dashboard(ctx, viewer.orgs)
        mine = (
            await inbox(ctx, [viewer.org.id or 0], open_only=True)
            if viewer.role == Role.leader
            else []
        )
        return figures, mine

    figures, mine = await page.run(read)
    return page.render(
        "dashboard.html",
        board=figures,
        mine=mine,
        opinion_chart=_opinion_chart(page, figures),
        ledger_chart=_ledger_chart(page, figures),
        statuses=STATUSES,
    )


def _opinion_chart(page: Page, figures: Dashboard) -> object:
    names = [page.t(f"console.series_{s}") for s in ("received", "answered", "overdue")]
    rows = [
        (page.t(f"category.{category}"), [received, answered, overdue])
        for category, received, answered, overdue in figures.opinions.rows()
    ]
    if not rows:
        return None
    received, answered, overdue = figures.opinions.totals
    return bar_chart(
        page.t("console.chart_opinions"),
        rows,
        list(zip(names, SERIES_COLOURS, strict=True)),
        summary=page.t("console.chart_opinions_summary", received=received, answered=answered,
                       overdue=overdue),
    )  # fmt: skip


def _ledger_chart(page: Page, figures: Dashboard) -> object:
    counts = figures.ledger.by_status
    rows = [
        (page.t(f"ledger_files.status.{status}"), counts[status], colour)
        for status, colour in zip(STATUSES, COLORS, strict=True)
        if counts[status]
    ]
    return status_chart(page.t("console.chart_ledger"), rows) if rows else None
