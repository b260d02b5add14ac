"""In-memory media-run repositories for ``MemoryUnitOfWork``: lifestyle runs (spec 30 §8.3)
and marketplace video runs (§9), one class for both."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from reseller_core.domain import videos
from reseller_core.domain.media_runs import LifestyleRun
from reseller_core.domain.runs import RunStatus
from reseller_core.domain.videos import VideoRun
from reseller_core.errors import Conflict
from reseller_core.ports.media_runs import LifestyleRunRepository, VideoRunRepository

RunT = TypeVar("RunT", LifestyleRun, VideoRun)
LifestyleRunTable = dict[str, LifestyleRun]
"""The in-memory table of lifestyle runs, by id."""
VideoRunTable = dict[str, VideoRun]
"""The in-memory table of video runs, by id."""


class MemoryMediaRunRepository(Generic[RunT]):
    def __init__(
        self, table: Callable[[], dict[str, RunT]], *, running_step: str, already_active: str
    ) -> None:
        self._table: Callable[[], dict[str, RunT]] = table
        self._running_step = running_step
        self._already_active = already_active

    async def add(self, run: RunT) -> None:
        if run.active and any(
            other.product_id == run.product_id and other.active for other in self._table().values()
        ):
            raise Conflict(self._already_active)
        self._table()[run.id] = run

    async def get(self, run_id: str) -> RunT | None:
        return self._table().get(run_id)

    async def update(self, run: RunT) -> None:
        self._table()[run.id] = run

    async def for_product(self, product_id: str) -> builtins.list[RunT]:
        runs = [run for run in self._table().values() if run.product_id == product_id]
        return sorted(runs, key=lambda run: (run.created_at, run.id), reverse=True)

    @staticmethod
    def _last(run: RunT) -> datetime:
        return run.heartbeat_at or run.updated_at

    async def claim(self, run_id: str, now: datetime, stale_before: datetime) -> RunT | None:
        run = self._table().get(run_id)
        if run is None:
            return None
        stale = run.status == RunStatus.RUNNING and self._last(run) < stale_before
        if run.status != RunStatus.QUEUED and not stale:
            return None
        claimed = msgspec.structs.replace(
            run,
            status=RunStatus.RUNNING.value,
            step=self._running_step,
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

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[RunT]:
        found = [
            run for run in self._table().values() if run.active and self._last(run) < stale_before
        ]
        return sorted(found, key=lambda run: run.id)[:limit]


def lifestyle_run_repository(table: Callable[[], LifestyleRunTable]) -> LifestyleRunRepository:
    """The lifestyle repository over ``table``, typed as the port."""
    return MemoryMediaRunRepository(
        table,
        running_step="lifestyle_generating",
        already_active="A lifestyle generation run is already in progress",
    )


def video_run_repository(table: Callable[[], VideoRunTable]) -> VideoRunRepository:
    """The video repository over ``table``, typed as the port."""
    return MemoryMediaRunRepository(
        table, running_step=videos.RENDER_STEP, already_active=videos.ALREADY_ACTIVE
    )
