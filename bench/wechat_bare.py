"""The peer of target 4: a bare aiohttp server whose WeChat callback only answers "success"
(``python -m bench.wechat_bare PORT``), the least any Official Account server can do."""

from __future__ import annotations

import sys

from aiohttp import web


async def success(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(text="success")


def main() -> None:
    app = web.Application()
    app.router.add_post("/wechat/callback", success)
    print("web chat: the bare handler is listening", file=sys.stderr, flush=True)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
