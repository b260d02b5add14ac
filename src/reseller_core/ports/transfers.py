"""Persistence of export and import records (spec 50), handed out by the unit of work."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from reseller_core.domain.transfers import Export, Import


class ExportRepository(Protocol):
    async def add(self, export: Export) -> None: ...

    async def get(self, user_id: str, export_id: str) -> Export | None:
        """The caller's export; None for unknown and foreign ids alike."""
        ...

    async def get_by_id(self, export_id: str) -> Export | None: ...

    async def update(self, export: Export) -> None: ...

    async def list(self, user_id: str, *, offset: int, limit: int) -> builtins.list[Export]:
        """Newest first (``requested_at``, then id)."""
        ...

    async def count(self, user_id: str) -> int: ...

    async def count_active(self, user_id: str) -> int:
        """``queued``/``running`` exports of the user, counted under a per-user lock held
        to the end of the transaction, so two concurrent requests cannot both pass a cap."""
        ...

    async def claim(self, export_id: str, now: datetime, stale_before: datetime) -> Export | None:
        """Move ``queued`` (or ``running`` with a heartbeat before ``stale_before``: its
        worker died) to ``running``; None when not claimable. One worker wins."""
        ...

    async def heartbeat(self, export_id: str, now: datetime) -> None: ...

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[Export]:
        """Active exports whose heartbeat (or last update) predates the cutoff."""
        ...

    async def expired(self, now: datetime, limit: int = 100) -> builtins.list[Export]:
        """``completed`` exports whose ``expires_at`` is at or before ``now``."""
        ...


class ImportRepository(Protocol):
    async def add(self, record: Import) -> None: ...

    async def get(self, user_id: str, import_id: str) -> Import | None: ...

    async def get_by_id(self, import_id: str) -> Import | None: ...

    async def update(self, record: Import) -> None: ...

    async def list(self, user_id: str, *, offset: int, limit: int) -> builtins.list[Import]: ...

    async def count(self, user_id: str) -> int: ...

    async def count_active(self, user_id: str) -> int:
        """As ``ExportRepository.count_active``, for imports."""
        ...

    async def claim(
        self, import_id: str, now: datetime, stale_before: datetime
    ) -> Import | None: ...

    async def heartbeat(self, import_id: str, now: datetime) -> None: ...

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[Import]:
        """Active imports whose heartbeat (or last update) predates the cutoff."""
        ...
