"""What every channel offers the rest of the outer ring."""

from __future__ import annotations

from typing import Protocol

from handlers.messages import Reply


class ChannelConfigError(Exception):
    """The channel's settings are wrong (a rejected token, a refused webhook URL):
    retrying cannot help, so the service stops and says which setting to fix."""


class DeliveryError(Exception):
    """A push could not be delivered now."""


class Blocked(DeliveryError):
    """The person blocked the bot or left the channel: stop sending there."""


class RetryLater(DeliveryError):
    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


class Undeliverable(DeliveryError):
    """The channel refused this message for good (bad request, too large)."""


class Channel(Protocol):
    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def deliver(
        self, external_id: str, replies: list[Reply], *, kind: str | None = None
    ) -> None:
        """Push replies to one account; raises a DeliveryError subclass when it cannot.
        ``kind`` is the outbox row's (a channel may send some kinds differently)."""
        ...
