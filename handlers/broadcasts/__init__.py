"""Broadcasts (广播): the campaign office's message to everyone or to one role, now or at
a time, once or repeating, in the organization's time zone; progress while it goes out
(已发送 3,500 / 10,000) and a summary to the sender when it is done (delivered, blocked
the bot, failed). The modules register their commands, buttons and steps when imported."""

from handlers.broadcasts import compose, manage
from handlers.broadcasts.common import feature, parse_send_time
from handlers.broadcasts.dues import broadcast_dues

__all__ = ["broadcast_dues", "compose", "feature", "manage", "parse_send_time"]
