"""Starting and stopping channels: a wrong setting stops the service with a clear line; a
network that is not there yet is retried in the background while the other channels serve."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable

from bot.channels.base import Channel, ChannelConfigError

log = logging.getLogger("bot")
RETRY_DELAYS = (5.0, 15.0, 60.0, 300.0)


class ChannelSupervisor:
    def __init__(
        self,
        channels: Iterable[Channel],
        describe: Callable[[Channel], str],
        *,
        delays: tuple[float, ...] = RETRY_DELAYS,
    ) -> None:
        self.channels = list(channels)
        self.describe = describe
        self.delays = delays
        self.running: list[Channel] = []
        self.waiting: dict[str, asyncio.Task[None]] = {}

    async def start(self) -> None:
        for channel in self.channels:
            try:
                await self._start(channel)
            except ChannelConfigError:
                await self.stop()
                raise
            except Exception as exc:
                log.warning(
                    "%s: cannot start yet (%s); retrying in the background",
                    channel.name,
                    _reason(exc),
                )
                self.waiting[channel.name] = asyncio.create_task(self._retry(channel))

    async def stop(self) -> None:
        for task in self.waiting.values():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.waiting.clear()
        for channel in reversed(self.running):
            try:
                await channel.stop()
            except Exception:
                log.exception("stopping %s failed", channel.name)
        self.running.clear()

    async def _start(self, channel: Channel) -> None:
        try:
            await channel.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await channel.stop()  # undo a half start before anyone retries
            raise
        self.running.append(channel)
        line = self.describe(channel)
        if line:
            log.info("%s", line)

    async def _retry(self, channel: Channel) -> None:
        attempt = 0
        while True:
            await asyncio.sleep(self.delays[min(attempt, len(self.delays) - 1)])
            attempt += 1
            try:
                await self._start(channel)
            except ChannelConfigError as exc:
                log.error("%s: %s; not retrying", channel.name, exc)
                break
            except Exception as exc:
                log.warning("%s: still cannot start (%s)", channel.name, _reason(exc))
            else:
                break
        self.waiting.pop(channel.name, None)


def _reason(exc: BaseException) -> str:
    """The exception's type and text; channel errors never carry message contents."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
