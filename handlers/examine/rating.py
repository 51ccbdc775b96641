"""The one place the meeting reaches into surveys: the satisfaction rating (满意度测评)
opened from the campaign's template once the minutes are in."""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from storage.examine_models import Survey


async def open_rating(ctx: Context, org_id: int, audience: dict[str, Any], title: str) -> Survey:
    from handlers.surveys import open_survey_from_template

    return await open_survey_from_template(ctx, org_id, "satisfaction", audience, title)


def fewest_raters() -> int:
    """Below this many people a rating could not stay anonymous (SPEC §6, k)."""
    from handlers.surveys.common import K

    return K
