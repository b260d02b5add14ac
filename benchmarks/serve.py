"""``python -m benchmarks.serve --port N --cpu 0``: the benchmark app under uvicorn, pinned.

Runs uvicorn as ``reseller serve`` does (one process, default protocol and loop choice,
no proxy headers), with access logs off so no endpoint pays for a log line. Settings come
from the ``RESELLER_*`` environment, as for the real server.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpu", type=int, default=0, help="the one core the server runs on")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {args.cpu})

    import uvicorn

    uvicorn.run(
        "benchmarks.bench_app:create_bench_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=1,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
