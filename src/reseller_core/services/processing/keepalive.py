"""A run's heartbeat in the background while its worker waits on one slow call.

Every commit of a run heartbeats it, but one provider call or render (with its retries)
can outlast ``run_heartbeat_timeout_s``; without a background beat the sweeper would hand
a live run to a second worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

from reseller_core.ports import Clock, UnitOfWork, UnitOfWorkFactory

logger = logging.getLogger(__name__)

Beat = Callable[[UnitOfWork, datetime], Awaitable[None]]
"""Writes one heartbeat of the run in the given unit of work."""


@contextlib.asynccontextmanager
async def keepalive(
    uow: UnitOfWorkFactory, clock: Clock, beat: Beat, *, interval_s: float, label: str
) -> AsyncIterator[None]:
    """Call ``beat`` every ``interval_s`` seconds (at least 1) in its own short unit of work
    until the block ends; a failed beat is logged and the next one tried."""
    interval = max(1.0, interval_s)

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                async with uow() as unit:
                    await beat(unit, clock.now())
                    await unit.commit()
            except Exception:
                logger.warning("heartbeat for %s failed", label, exc_info=True)

    task = asyncio.create_task(loop(), name=f"heartbeat-{label}")
    try:
        yield
    finally:
        task.cancel()
        # ``wait`` does not re-raise the task's cancellation into this task, but a
        # cancellation of this task still propagates.
        await asyncio.wait([task])
