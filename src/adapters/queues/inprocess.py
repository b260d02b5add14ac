"""An asyncio task queue inside the server process: the embedded default (zero services).

Not durable, on purpose: ``stop()`` (or a crash) drops jobs that have not run. Durability
comes from the processing-run rows written in the same transaction as the enqueue, and from
the sweeper that re-enqueues runs left ``queued``/``running``; every job is idempotent, so
that re-delivery is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from reseller_core.ports.queue import Job

log = logging.getLogger(__name__)

JobHandler = Callable[[Mapping[str, str]], Awaitable[None]]
"""An async function of the job's arguments (ids as strings)."""


class InProcessTaskQueue:
    """``TaskQueue`` over an unbounded ``asyncio.Queue`` and ``concurrency`` worker tasks.

    Lifecycle: ``enqueue`` works at any time (before ``start()`` jobs are buffered);
    ``start()`` spawns the workers; ``join()`` waits until every enqueued job has finished;
    ``stop()`` cancels the workers and drops jobs not yet run. ``start()`` again resumes.

    ``handlers`` is read at dispatch time, not copied, so a composition root may pass a
    dict and fill it after building the services that need this queue.
    """

    def __init__(
        self, handlers: Mapping[str, JobHandler] | None = None, concurrency: int = 2
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._handlers: Mapping[str, JobHandler] = handlers if handlers is not None else {}
        self._registered: dict[str, JobHandler] = {}
        self._concurrency = concurrency
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._workers: list[asyncio.Task[None]] = []

    @property
    def running(self) -> bool:
        return bool(self._workers)

    def register(self, name: str, handler: JobHandler) -> None:
        """Add or replace the handler of ``name`` (takes precedence over ``handlers``)."""
        self._registered[name] = handler

    async def enqueue(self, job: Job) -> None:
        self._queue.put_nowait(job)

    async def start(self) -> None:
        """Spawn the workers; a no-op when they are already running."""
        if self._workers:
            return
        self._workers = [
            asyncio.create_task(self._work(), name=f"reseller-inprocess-worker-{index}")
            for index in range(self._concurrency)
        ]

    async def stop(self) -> None:
        """Cancel the workers (interrupting running jobs) and drop the jobs still queued.

        Dropped jobs are not lost work: their runs are still ``queued``/``running`` in the
        database, and the sweeper re-enqueues them after the next ``start()``.
        """
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.cancel()
        for worker in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        dropped = 0
        while True:
            try:
                self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            self._queue.task_done()
            dropped += 1
        if dropped:
            log.info("in-process queue stopped; %d queued job(s) dropped", dropped)

    async def join(self) -> None:
        """Wait until every job enqueued so far (and any job those enqueue) has finished.

        Raises ``RuntimeError`` when jobs are waiting but no worker runs, which would
        otherwise wait forever.
        """
        if not self._workers and not self._queue.empty():
            raise RuntimeError("in-process queue has pending jobs but was not started")
        await self._queue.join()

    async def check(self) -> None:
        """Readiness: fail when started workers have died (they are not meant to)."""
        if self._workers and all(worker.done() for worker in self._workers):
            raise RuntimeError("in-process queue workers are not running")

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._run(job)
            finally:
                self._queue.task_done()

    async def _run(self, job: Job) -> None:
        handler = self._registered.get(job.name) or self._handlers.get(job.name)
        if handler is None:
            log.error("no handler for job %r; job dropped", job.name)
            return
        try:
            await handler(dict(job.args))
        except Exception:
            # Argument values are ids today, but only their names are logged so a future
            # job carrying something sensitive cannot leak it into the log.
            log.exception("job %r failed (args: %s)", job.name, ", ".join(sorted(job.args)))
