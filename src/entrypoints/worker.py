"""``reseller worker``: a process that only runs queued jobs (no HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM. Needs a queue that other processes can feed."""
    if settings.queue == "inprocess":
        print(
            "reseller worker: the in-process queue lives inside `reseller serve`; "
            "set RESELLER_QUEUE=taskiq (and RESELLER_REDIS_URL) to run separate workers.",
            file=sys.stderr,
        )
        return 2

    async def run() -> None:
        container = await build_container(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await container.start(run_worker=True)
        log.info("worker started (queue=%s)", settings.queue)
        try:
            await stop.wait()
        finally:
            await container.close()

    asyncio.run(run())
    return 0
