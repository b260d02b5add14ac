"""In-memory lifestyle-run repository for ``MemoryUnitOfWork`` (spec 30 §8.3)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime

import msgspec

from reseller_core.domain.media_runs import LifestyleRun, LifestyleRunStatus
from reseller_core.errors import Conflict
from reseller_core.ports.media_runs import LifestyleRunRepository

LifestyleRunTable = dict[str, LifestyleRun]
"""The in-memory table of lifestyle runs, by id."""


class MemoryLifestyleRunRepository:
    def __init__(self, table: Callable[[], dict[str, LifestyleRun]]) -> None:
        self._table = table

    async def add(self, run: LifestyleRun) -> None:
        if run.active and any(
            other.product_id == run.product_id and other.active for other in self._table().values()
        ):
            raise Conflict("A lifestyle generation run is already in progress")
        self._table()[run.id] = run

    async def get(self, run_id: str) -> LifestyleRun | None:
        return self._table().get(run_id)

    async def update(self, run: LifestyleRun) -> None:
        self._table()[run.id] = run

    async def for_product(self, product_id: str) -> builtins.list[LifestyleRun]:
        runs = [run for run in self._table().values() if run.product_id == product_id]
        return sorted(runs, key=lambda run: (run.created_at, run.id), reverse=True)

    @staticmethod
    def _last(run: LifestyleRun) -> datetime:
        return run.heartbeat_at or run.updated_at

    async def claim(
        self, run_id: str, now: datetime, stale_before: datetime
    ) -> LifestyleRun | None:
        run = self._table().get(run_id)
        if run is None:
            return None
        stale = run.status == LifestyleRunStatus.RUNNING and self._last(run) < stale_before
        if run.status != LifestyleRunStatus.QUEUED and not stale:
            return None
        claimed = msgspec.structs.replace(
            run,
            status=LifestyleRunStatus.RUNNING.value,
            step="lifestyle_generating",
            started_at=run.started_at or now,
            heartbeat_at=now,
            updated_at=now,
        )
        self._table()[run_id] = claimed
        return claimed

    async def heartbeat(self, run_id: str, now: datetime) -> None:
        run = self._table().get(run_id)
        if run is not None:
            self._table()[run_id] = msgspec.structs.replace(run, heartbeat_at=now)

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[LifestyleRun]:
        found = [
            run for run in self._table().values() if run.active and self._last(run) < stale_before
        ]
        return sorted(found, key=lambda run: run.id)[:limit]


def lifestyle_run_repository(table: Callable[[], LifestyleRunTable]) -> LifestyleRunRepository:
    """The repository over ``table``, typed as the port (a unit of work's attribute type)."""
    return MemoryLifestyleRunRepository(table)
