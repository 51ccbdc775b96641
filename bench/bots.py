"""One bot under test, in a process of its own: ``python -m bench.bots KIND --api URL ...``.

The benchmark runs the fake Bot API and the simulated people in its own process and each
bot in a child process, as Telegram and a bot are two machines: the bot's CPU is its own.
The child prints ``READY`` once it polls, then obeys lines on standard input: ``cpu``
(answers ``CPU <seconds of CPU used so far>``) and ``stop``.

Kinds: ``ptb-echo`` (python-telegram-bot 22 with the library's defaults, a MessageHandler
that echoes), ``aiogram-echo`` (aiogram 3, the same), ``aiogram-echo-webhook`` (aiogram's
webhook server, the echo in its answer), ``massline`` (the whole service from
``create_app``, see bench.massline_bot).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

Stop = Callable[[], Awaitable[None]]


async def ptb_echo(args: argparse.Namespace) -> Stop:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    builder = Application.builder().token(args.token).base_url(f"{args.api}/bot")
    if args.transport == "aiohttp":
        from bot.channels.telegram_request import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(connection_pool_size=1)
        )
    app = builder.build()

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text:
            await message.reply_text(message.text)

    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    assert app.updater is not None
    await app.updater.start_polling()
    await app.start()

    async def stop() -> None:
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return stop


async def aiogram_echo(args: argparse.Namespace) -> Stop:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    bot = Bot(args.token, session=AiohttpSession(api=TelegramAPIServer.from_base(args.api)))
    dispatcher = Dispatcher()
    started = asyncio.Event()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        if message.text:
            await message.answer(message.text)

    @dispatcher.startup()
    async def on_startup() -> None:
        started.set()

    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    await asyncio.wait_for(started.wait(), 30)

    async def stop() -> None:
        await dispatcher.stop_polling()
        await polling

    return stop


async def aiogram_echo_webhook(args: argparse.Namespace) -> Stop:
    """aiogram's own webhook server; the echo rides in the webhook's answer (the handler
    returns the method instead of calling it), as aiogram documents it."""
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    from bench.massline_bot import WEBHOOK_SECRET, free_port

    bot = Bot(args.token, session=AiohttpSession(api=TelegramAPIServer.from_base(args.api)))
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> Any:
        return message.answer(message.text) if message.text else None

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False,
                         secret_token=WEBHOOK_SECRET).register(app, path="/webhook")  # fmt: skip
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await bot.set_webhook(f"http://127.0.0.1:{port}/webhook", secret_token=WEBHOOK_SECRET)

    async def stop() -> None:
        await runner.cleanup()
        await bot.session.close()

    return stop


async def massline(args: argparse.Namespace) -> Stop:
    from bench.massline_bot import start_massline

    return await start_massline(args)


KINDS: dict[str, Callable[[argparse.Namespace], Awaitable[Stop]]] = {
    "ptb-echo": ptb_echo,
    "aiogram-echo": aiogram_echo,
    "aiogram-echo-webhook": aiogram_echo_webhook,
    "massline": massline,
}


async def serve(args: argparse.Namespace) -> None:
    stop = await KINDS[args.kind](args)
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := (await reader.readline()).decode().strip():
            if line == "cpu":
                print(f"CPU {time.process_time():.6f}", flush=True)
            elif line == "stop":
                break
    finally:
        await stop()
    print("STOPPED", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bots")
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--api", required=True, help="the fake Bot API's base URL")
    parser.add_argument("--token", required=True)
    parser.add_argument("--transport", choices=("httpx", "aiohttp"),
                        help="ptb-echo: httpx if not; massline: aiohttp if not")  # fmt: skip
    parser.add_argument("--replies-limit", type=float, help="massline: replies per second")
    parser.add_argument("--sequential", action="store_true", help="massline: one at a time")
    parser.add_argument("--webhook", action="store_true", help="massline: serve the webhook")
    parser.add_argument("--no-ride", dest="ride", action="store_false",
                        help="massline: nothing rides in the webhook's answer")  # fmt: skip
    parser.add_argument("--users", type=int, default=0, help="massline: people with chats")
    parser.add_argument("--first-user", type=int, default=0)
    parser.add_argument("--members", type=int, default=0, help="massline: members in the org")
    parser.add_argument("--workdir", default=".", help="massline: where its database goes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
