"""Showing what members attached (photos, files, voice notes) to the people who must read
it, whatever channel they read on: fetched back from the channel it came through."""

from __future__ import annotations

from typing import Any

from handlers.context import Context
from handlers.messages import File, Image, Reply, Text

IMAGE_KINDS = ("photo",)


async def attachment_replies(ctx: Context, attachments: list[dict[str, Any]]) -> list[Reply]:
    """Each stored attachment as an image or a file; a line for those no longer fetchable."""
    fetch = ctx.services.fetch_media
    replies: list[Reply] = []
    missing = 0
    for n, item in enumerate(attachments, start=1):
        data = await fetch(item["channel"], item["ref"]) if fetch and item.get("ref") else None
        if data is None:
            missing += 1
            continue
        name = item.get("name") or f"attachment-{n}"
        if item.get("kind") in IMAGE_KINDS:
            replies.append(Image(data, None, f"{name}.jpg" if "." not in name else name))
        else:
            replies.append(File(data, name))
    if missing:
        replies.append(Text(ctx.t("media.unavailable", count=missing)))
    return replies
