"""Persistence of lifestyle generation runs, handed out by the unit of work."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from reseller_core.domain.media_runs import LifestyleRun


class LifestyleRunRepository(Protocol):
    async def add(self, run: LifestyleRun) -> None:
        """Insert; raises ``Conflict`` when the product already has a ``queued``/``running``
        run. The storage enforces it (a unique index over active runs), so two concurrent
        requests for one product cannot both create one."""
        ...

    async def get(self, run_id: str) -> LifestyleRun | None: ...

    async def update(self, run: LifestyleRun) -> None: ...

    async def for_product(self, product_id: str) -> builtins.list[LifestyleRun]:
        """The product's runs, newest first (creation time, then id)."""
        ...

    async def claim(
        self, run_id: str, now: datetime, stale_before: datetime
    ) -> LifestyleRun | None:
        """Move ``queued`` (or ``running`` with a heartbeat before ``stale_before``) to
        ``running``; None when not claimable. One worker wins."""
        ...

    async def heartbeat(self, run_id: str, now: datetime) -> None: ...

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[LifestyleRun]:
        """Active runs whose heartbeat (or last update) predates the cutoff."""
        ...
