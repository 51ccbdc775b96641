"""/channel (渠道): a member bound on several channels chooses where reminders and notices
go — one of their channels, or automatic (the channel they used last, the default).

The choice is stored on the member (Member.push_channel); the deliverer tries that channel
first and the member's others after it, so a chosen channel that is not running, or
cannot reach the member now, is passed over rather than losing the message.
"""

from __future__ import annotations

from handlers.context import Context
from handlers.feature import MEMBERS, Feature
from handlers.menu import menu_buttons
from handlers.messages import Button, Text, rows

feature = Feature("channel")
AUTO = "auto"
AUTO_WORDS = frozenset({"auto", "automatic", "自动", "默认"})
GIVEN_LIMIT = 20


@feature.command("channel", access=MEMBERS, keywords=("渠道", "推送渠道"), menu=False)
async def choose_channel(ctx: Context) -> None:
    bound = await _bound(ctx)
    given = ctx.args.strip()
    if given:
        await _choose(ctx, _read(ctx, given, bound), bound, given)
    else:
        await _show(ctx, bound)


@feature.button("set", access=MEMBERS)
async def set_button(ctx: Context) -> None:
    picked = ctx.params[0] if ctx.params else ""
    await _choose(ctx, picked, await _bound(ctx), picked)


Bound = dict[str, bool]  # the member's channels, in the order they joined → reachable


async def _bound(ctx: Context) -> Bound:
    """Two accounts on one channel count once: reachable if either is."""
    assert ctx.member is not None and ctx.member.id is not None
    bound: Bound = {}
    identities = await ctx.db.members.identities(ctx.member.id)
    for identity in sorted(identities, key=lambda i: (i.created_at, i.id or 0)):
        bound[identity.channel] = bound.get(identity.channel, False) or identity.reachable
    return bound


def channel_name(ctx: Context, channel: str) -> str:
    key = f"channel.name_{channel}"
    return ctx.t(key) if ctx.services.catalog.has(key) else channel


def _last(ctx: Context, bound: Bound) -> str:
    assert ctx.member is not None
    last = ctx.member.last_channel
    return last if last in bound or not bound else next(iter(bound))


async def _show(ctx: Context, bound: Bound) -> None:
    assert ctx.member is not None
    if len(bound) < 2:
        only = next(iter(bound), ctx.msg.channel)
        ctx.say("channel.only_one", channel=channel_name(ctx, only))
        return
    chosen = ctx.member.push_channel if ctx.member.push_channel in bound else None
    if chosen is None:
        current = ctx.t("channel.current_auto", last=channel_name(ctx, _last(ctx, bound)))
    else:
        current = channel_name(ctx, chosen)
    lines = [ctx.t("channel.prompt", current=current)]
    if chosen is not None and not bound[chosen]:
        lines.append(ctx.t("channel.unreachable", channel=current))
    buttons = [_button(ctx, channel_name(ctx, c), c, c == chosen) for c in bound]
    buttons.append(_button(ctx, ctx.t("channel.auto"), AUTO, chosen is None))
    ctx.send(Text("\n".join(lines), rows(*buttons, per_row=1)))


def _button(ctx: Context, label: str, choice: str, current: bool) -> Button:
    marked = ctx.t("channel.marked", label=label) if current else label
    return Button(marked, feature.payload("set", choice))


def _read(ctx: Context, given: str, bound: Bound) -> str:
    """What a typed choice names: a channel by its code or its name in any language,
    or automatic; else the text itself (which names nothing)."""
    wanted = given.casefold()
    if wanted in AUTO_WORDS or wanted in _names(ctx, "channel.auto"):
        return AUTO
    for channel in bound:
        if wanted == channel or wanted in _names(ctx, f"channel.name_{channel}"):
            return channel
    return given


def _names(ctx: Context, key: str) -> set[str]:
    catalog = ctx.services.catalog
    return {n.casefold() for n in catalog.all_languages(key)} if catalog.has(key) else set()


async def _choose(ctx: Context, picked: str, bound: Bound, given: str) -> None:
    member = ctx.member
    assert member is not None
    if picked == AUTO:
        member.push_channel = None
        text = ctx.t("channel.set_auto", last=channel_name(ctx, _last(ctx, bound)))
    elif picked in bound:
        member.push_channel = picked
        text = ctx.t("channel.set", channel=channel_name(ctx, picked))
        if not bound[picked]:
            text += "\n" + ctx.t("channel.unreachable", channel=channel_name(ctx, picked))
    else:
        names = ctx.t("channel.separator").join(channel_name(ctx, c) for c in bound)
        ctx.say("channel.unknown", given=given[:GIVEN_LIMIT], channels=names)
        await _show(ctx, bound)
        return
    ctx.db.session.add(member)
    ctx.send(Text(text, await menu_buttons(ctx)))
