"""A picture or a file the office sends out (with a broadcast, as a session's reading):
fetched from the channel it came through and stored by us once, so members on every
channel get it (storage.files), and a link to it works in any app."""

from __future__ import annotations

from handlers.context import Context
from handlers.messages import Attachment
from storage.files import MAX_BYTES, StoredFile, link_path

KINDS = {"photo": "image", "file": "file"}


async def keep_attachment(ctx: Context) -> StoredFile | None:
    """Store the message's first picture or file; None (the member told why) when it can
    be neither fetched nor sent on."""
    assert ctx.org is not None and ctx.org.id is not None
    attachment = ctx.msg.attachments[0]
    mb = MAX_BYTES // (1024 * 1024)
    if attachment.kind not in KINDS:
        ctx.say("files.kind", mb=mb)
        return None
    if attachment.size is not None and attachment.size > MAX_BYTES:
        ctx.say("files.size", mb=mb)
        return None
    fetch = ctx.services.fetch_media
    data = await fetch(ctx.msg.channel, attachment.ref) if fetch and attachment.ref else None
    if data is None:
        ctx.say("files.unavailable")
        return None
    if len(data) > MAX_BYTES:
        ctx.say("files.size", mb=mb)
        return None
    return await ctx.db.files.add(ctx.org.id, KINDS[attachment.kind], _name(attachment), data,
                                  attachment.mime)  # fmt: skip


def file_link(ctx: Context, row: StoredFile) -> str:
    return ctx.services.web_url.rstrip("/") + link_path(row)


def _name(attachment: Attachment) -> str:
    if attachment.name:
        return attachment.name
    return "image.jpg" if attachment.kind == "photo" else "file"
