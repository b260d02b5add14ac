"""``reseller worker``: a process that only runs queued jobs (no HTTP).

It consumes the shared queue with ``worker_concurrency`` jobs at once and runs the periodic
sweeper. SIGTERM or SIGINT stops it cleanly: no new job is taken, running jobs get
``worker_shutdown_grace_s`` to finish, and those interrupted stay unacknowledged, so the
queue delivers them again to another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from reseller_entrypoints.bootstrap import build_container
from reseller_entrypoints.gc_tuning import freeze_startup_objects
from reseller_entrypoints.plugins import PluginError
from reseller_entrypoints.settings import Settings
from reseller_entrypoints.startup_report import report_startup

log = logging.getLogger(__name__)

STARTED_MESSAGE = "worker started"
"""Logged once the worker consumes; process supervisors and tests wait for it."""


def run_worker(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; the exit code (0 after a clean stop, 1 when start-up failed).

    A ``PluginError`` (an adapter nobody registered, or a plugin that built the wrong kind
    of object) propagates, so the ``reseller`` command reports it and exits with 2.

    Needs a queue that other processes can feed.
    """
    if settings.queue == "inprocess":
        print(
            "reseller worker: the in-process queue lives inside `reseller serve`; "
            "set RESELLER_QUEUE=taskiq (and RESELLER_REDIS_URL) to run separate workers.",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_serve_jobs(settings))


async def _serve_jobs(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Installed before start-up, so a signal that arrives early still stops cleanly.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        container = await build_container(settings)
    except PluginError:
        raise  # a configuration error: the CLI prints it as one line and exits with 2
    except Exception as error:
        log.error("worker could not be configured: %s", error)
        return 1
    try:
        await container.start(run_worker=True)
    except Exception as error:
        log.error("worker could not start: %s: %s", type(error).__name__, error)
        await container.close()
        return 1
    await report_startup(container, "worker")
    freeze_startup_objects()  # the worker lives as long as the server: see gc_tuning
    log.info(
        "%s (queue=%s, concurrency=%d)",
        STARTED_MESSAGE,
        settings.queue,
        settings.worker_concurrency,
    )
    try:
        await stop.wait()
        log.info("worker stopping: no new jobs; running ones may finish")
    finally:
        await container.close()
    log.info("worker stopped")
    return 0
