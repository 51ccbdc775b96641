"""The opinion inbox for the web console: listing (overdue first), one opinion's thread,
and triage through the chat's own handlers (handlers/opinions/triage.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.console_ops.context import OpContext, finish
from handlers.opinions import triage
from handlers.opinions.common import feature, leaders, target_label
from handlers.opinions.items import Item
from storage.models import Member, Organization, Role
from storage.opinion_models import CATEGORIES, AnonThread, Opinion, Problem, Side, Status

REPLY_LIMIT = triage.REPLY_LIMIT
REASON_LIMIT = 500
TITLE_LIMIT = triage.TITLE_LIMIT
_ORDER = {Status.new: 0, Status.assigned: 1, Status.replied: 2, Status.closed: 3}


@dataclass(frozen=True)
class Row:
    item: Item
    org: Organization
    overdue: bool
    age: int


@dataclass(frozen=True)
class Post:
    who: str
    side: str
    day: date
    text: str
    files: int = 0


@dataclass(frozen=True)
class Thread:
    row: Row
    target: str
    posts: list[Post]
    assignee: Member | None
    problem: Problem | None


def can_act(member: Member, item: Item) -> bool:
    """The chat's rule: the office handles its organization's opinions, a leader those
    assigned to them; supervisors only read."""
    if member.role == Role.admin:
        return member.org_id == item.row.org_id
    return member.role == Role.leader and item.row.assignee_id == member.id


async def inbox(ctx: OpContext, org_ids: list[int], *, open_only: bool) -> list[Row]:
    """What this person may see: a leader only what is assigned to them."""
    assert ctx.member is not None
    assignee = ctx.member.id if ctx.member.role == Role.leader else None
    rows: list[Row] = []
    for org_id in org_ids:
        org = await ctx.db.orgs.get(org_id)
        if org is None:
            continue
        named = await ctx.db.opinions.named_inbox(org_id, assignee_id=assignee, open_only=open_only)
        anon = await ctx.db.opinions.anon_inbox(org_id, assignee_id=assignee, open_only=open_only)
        rows += [_row(ctx, Item(r), org) for r in (*named, *anon)]
    rows.sort(key=lambda r: (not r.overdue, _ORDER.get(r.item.row.status, 4), -r.age))
    return rows


def _row(ctx: OpContext, item: Item, org: Organization) -> Row:
    return Row(item, org, item.overdue(ctx, org.opinion_reply_days), item.age(ctx))


async def find(ctx: OpContext, ref: str, org_ids: list[int]) -> Row | None:
    """The opinion a console address names, if it is in the viewer's scope: released
    anonymous threads only; a leader only what is assigned to them."""
    assert ctx.member is not None
    kind, digits = ref[:1], ref[1:]
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        return None
    row: Opinion | AnonThread | None = None
    if kind == "n":
        row = await ctx.db.opinions.get(int(digits))
    elif kind == "a":
        row = await ctx.db.opinions.thread(int(digits))
        row = row if row is not None and row.released_on is not None else None
    if row is None or row.org_id not in org_ids:
        return None
    if ctx.member.role == Role.leader and row.assignee_id != ctx.member.id:
        return None
    org = await ctx.db.orgs.get(row.org_id)
    return _row(ctx, Item(row), org) if org is not None else None


async def thread(ctx: OpContext, row: Row, *, show_author: bool) -> Thread:
    """The thread as the office sees it: an anonymous author only by pseudonym, and only
    what the daily batch released; a named author by name where ``show_author``."""
    item, posts = row.item, []
    ctx.org = row.org
    if isinstance(item.row, AnonThread):
        author = ctx.t("opinions.pseudonym", tag=item.row.pseudonym)
        for post in await ctx.db.opinions.posts(item.row.id, released_only=True):
            who = author if post.side == Side.author else post.office or ""
            posts.append(Post(who, post.side, post.received_on, post.text))
    else:
        named = await ctx.db.members.get(item.row.author_id)
        author = named.name if named and show_author else ctx.t("console.op_named_author")
        for message in await ctx.db.opinions.messages(item.row.id or 0):
            who = author if message.side == Side.author else message.office or ""
            day = message.created_at.astimezone(ctx.zone).date()
            posts.append(Post(who, message.side, day, message.text, len(message.attachments)))
    assignee = await ctx.db.members.get(item.row.assignee_id) if item.row.assignee_id else None
    problem = await ctx.db.opinions.problem(item.row.problem_id) if item.row.problem_id else None
    target = await target_label(ctx, item.row.target, item.row.target_id)
    return Thread(row, target, posts, assignee, problem)


async def assignees(ctx: OpContext) -> list[Member]:
    return await leaders(ctx)


async def problems(ctx: OpContext) -> list[Problem]:
    assert ctx.org is not None and ctx.org.id is not None
    return await ctx.db.opinions.problems(ctx.org.id)


# Triage: each runs the chat's handler, which checks who may do it, as in chat.


def _at(ctx: OpContext, row: Row, step: str, words: str) -> None:
    ctx.org = row.org
    ctx.begin(feature.name, step, {"ref": row.item.ref})
    ctx.args = words


async def reply(ctx: OpContext, row: Row, words: str) -> list[str]:
    _at(ctx, row, "reply", words)
    await triage.reply_text(ctx)
    return await finish(ctx, "opinions.replied", org_id=row.org.id, action="opinion.reply")


async def close(ctx: OpContext, row: Row, reason: str) -> list[str]:
    _at(ctx, row, "close", reason)
    await triage.close_reason(ctx)
    return await finish(ctx, "opinions.closed", org_id=row.org.id, action="opinion.close")


async def assign(ctx: OpContext, row: Row, leader_id: int) -> list[str]:
    ctx.org, ctx.params = row.org, (str(leader_id), row.item.ref)
    await triage.assign_to(ctx)
    return await finish(ctx, "opinions.assigned", org_id=row.org.id, action="opinion.assign")


async def set_category(ctx: OpContext, row: Row, category: str) -> list[str]:
    if category not in CATEGORIES:
        raise ValueError(category)
    ctx.org, ctx.params = row.org, (category, row.item.ref)
    await triage.category_to(ctx)
    return await finish(ctx, "opinions.category_set", org_id=row.org.id, action="opinion.category")


async def merge(ctx: OpContext, row: Row, problem_id: int | None, title: str) -> list[str]:
    """Into an existing problem of the organization, or a new one with ``title``."""
    if problem_id is not None:
        ctx.org, ctx.params = row.org, (str(problem_id), row.item.ref)
        await triage.merge_existing(ctx)
    else:
        _at(ctx, row, "problem_title", title)
        await triage.problem_title(ctx)
    return await finish(ctx, "opinions.merged", org_id=row.org.id, action="opinion.merge")
