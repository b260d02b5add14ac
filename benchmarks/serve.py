"""``python -m benchmarks.serve --port N --cpu 0 [--app floor]``: an app under uvicorn, pinned.

Runs uvicorn as ``reseller serve`` does (one process, the same event loop and HTTP parser
choice: uvloop and httptools where installed, no proxy headers), with access logs off so
no endpoint pays for a log line. ``--app bench`` (the default) is our app plus the bare
floors, its settings from the ``RESELLER_*`` environment as for the real server; ``--app
floor`` is the minimal floor app of ``benchmarks.floor_app``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Final

APPS: Final = {
    "bench": "benchmarks.bench_app:create_bench_app",
    "floor": "benchmarks.floor_app:create_floor_app",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpu", type=int, default=0, help="the one core the server runs on")
    parser.add_argument("--app", choices=sorted(APPS), default="bench")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {args.cpu})

    import uvicorn

    from reseller_entrypoints.http.server_options import server_protocols

    protocols = server_protocols()
    uvicorn.run(
        APPS[args.app],
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        loop=protocols.loop,
        http=protocols.http,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
