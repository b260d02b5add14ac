"""Persistence of media runs (lifestyle scenes, marketplace videos), handed out by the unit
of work. Both kinds share one shape: queued by a request, claimed by one worker, kept alive
by a heartbeat, at most one active per product."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol, TypeVar

from reseller_core.domain.media_runs import LifestyleRun
from reseller_core.domain.videos import VideoRun

RunT = TypeVar("RunT")


class MediaRunRepository(Protocol[RunT]):
    async def add(self, run: RunT) -> None:
        """Insert; raises ``Conflict`` when the product already has a ``queued``/``running``
        run. The storage enforces it (a unique index over active runs), so two concurrent
        requests for one product cannot both create one."""
        ...

    async def get(self, run_id: str) -> RunT | None: ...

    async def update(self, run: RunT) -> None: ...

    async def for_product(self, product_id: str) -> builtins.list[RunT]:
        """The product's runs, newest first (creation time, then id)."""
        ...

    async def claim(self, run_id: str, now: datetime, stale_before: datetime) -> RunT | None:
        """Move ``queued`` (or ``running`` with a heartbeat before ``stale_before``) to
        ``running``; None when not claimable. One worker wins."""
        ...

    async def heartbeat(self, run_id: str, now: datetime) -> None: ...

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[RunT]:
        """Active runs whose heartbeat (or last update) predates the cutoff."""
        ...


LifestyleRunRepository = MediaRunRepository[LifestyleRun]
VideoRunRepository = MediaRunRepository[VideoRun]
