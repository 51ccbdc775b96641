"""Drains the outbox through the running channels, within each channel's limits (issue 4).

- Pace: on each channel, never more than its rate (MASSLINE_SEND_RATE for Telegram,
  MASSLINE_WECOM_SEND_RATE, MASSLINE_WECHAT_SEND_RATE) requests reach the server in any
  second, spaced evenly; never two to one chat within a second (Telegram's limit for a
  private chat; 2 s on WeCom), so the parts of a long message are spaced too. Both hold at
  the server whatever the jitter on the way (see pacing). The rate is per process: N
  services on one database send up to N × rate. A row that would queue long for a slow
  channel goes back for a while, so that it never holds a faster channel's rows back.
- Channels: a member's chosen channel (/channel) first, then the one they used last, then
  the rest; one not configured here is passed over, one still starting is passed over too,
  and a row with no other way backs off as on a fault rather than becoming unreachable.
  The row's kind goes to the channel (the Official Account picks templates by it).
- Flood: a channel's "retry after N" (Telegram's 429) pauses every push on that channel for
  N seconds, with no request at all meanwhile; then the same message is tried again.
- Blocked (403): the chat account is marked unreachable at once and sent nothing more
  until the person writes to us again; the member's other channels are tried.
- Faults (5xx, timeouts, a lost answer): the row goes back to the outbox with exponential
  backoff (1, 2, 4 … s, never sooner than a RetryLater's own delay); after MAX_ATTEMPTS
  it is failed.
- Crash: a row holds a slot of the in-flight window (IN_FLIGHT) from its first request
  until its outcome is committed, and outcomes are committed as they come, in small groups,
  so a kill -9 sends at most IN_FLIGHT rows twice (a long one: its parts) and loses none.
  The window also bounds throughput to about IN_FLIGHT / (round trip + commit): enough
  for Telegram's 30/s; raise it (the Deliverer's ``in_flight``) for a faster server.
  Rows are claimed with a lease (LEASE) that is renewed while held; a dead process's rows
  come back when it runs out. PostgreSQL claims skip locked rows; a SQLite claim is one
  BEGIN IMMEDIATE transaction: two processes never claim the same row.
"""

from bot.delivery.deliverer import IN_FLIGHT, LEASE, Deliverer
from bot.delivery.pacing import LIMITS, PER_CHAT_INTERVAL, Gate, Limits, Pace

__all__ = [
    "IN_FLIGHT",
    "LEASE",
    "LIMITS",
    "PER_CHAT_INTERVAL",
    "Deliverer",
    "Gate",
    "Limits",
    "Pace",
]
