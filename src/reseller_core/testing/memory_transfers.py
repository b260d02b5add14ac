"""In-memory export and import repositories for ``MemoryUnitOfWork`` (spec 50 records)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Generic, TypeVar

import msgspec

from reseller_core.domain.transfers import Export, Import

R = TypeVar("R", Export, Import)
_ACTIVE = ("queued", "running")


class _MemoryTransfers(Generic[R]):
    def __init__(self, table: Callable[[], dict[str, R]]) -> None:
        self._table: Callable[[], dict[str, R]] = table

    async def add(self, record: R) -> None:
        self._table()[record.id] = record

    async def get(self, user_id: str, record_id: str) -> R | None:
        found = self._table().get(record_id)
        return found if found is not None and found.user_id == user_id else None

    async def get_by_id(self, record_id: str) -> R | None:
        return self._table().get(record_id)

    async def update(self, record: R) -> None:
        self._table()[record.id] = record

    def _owned(self, user_id: str) -> builtins.list[R]:
        return [record for record in self._table().values() if record.user_id == user_id]

    async def list(self, user_id: str, *, offset: int, limit: int) -> builtins.list[R]:
        ordered = sorted(self._owned(user_id), key=lambda r: (r.requested_at, r.id), reverse=True)
        return ordered[offset : offset + limit]

    async def count(self, user_id: str) -> int:
        return len(self._owned(user_id))

    async def count_active(self, user_id: str) -> int:
        return sum(1 for record in self._owned(user_id) if record.status in _ACTIVE)

    @staticmethod
    def _last(record: R) -> datetime:
        return record.heartbeat_at or record.updated_at

    async def claim(self, record_id: str, now: datetime, stale_before: datetime) -> R | None:
        record = self._table().get(record_id)
        if record is None:
            return None
        stale_running = record.status == "running" and self._last(record) < stale_before
        if record.status != "queued" and not stale_running:
            return None
        changes: dict[str, object] = {
            "status": "running",
            "heartbeat_at": now,
            "updated_at": now,
            "error_message": None,
            "error_code": None,
        }
        if isinstance(record, Import) and record.started_at is None:
            changes["started_at"] = now
        claimed: R = msgspec.convert({**msgspec.structs.asdict(record), **changes}, type(record))
        self._table()[record_id] = claimed
        return claimed

    async def heartbeat(self, record_id: str, now: datetime) -> None:
        record = self._table().get(record_id)
        if record is not None:
            self._table()[record_id] = msgspec.structs.replace(record, heartbeat_at=now)

    async def stale(self, stale_before: datetime, limit: int = 100) -> builtins.list[R]:
        found = [
            record
            for record in self._table().values()
            if record.status in _ACTIVE and self._last(record) < stale_before
        ]
        return sorted(found, key=lambda r: r.id)[:limit]


class MemoryExportRepository(_MemoryTransfers[Export]):
    async def expired(self, now: datetime, limit: int = 100) -> builtins.list[Export]:
        found = [
            export
            for export in self._table().values()
            if export.status == "completed"
            and export.expires_at is not None
            and export.expires_at <= now
        ]
        return sorted(found, key=lambda e: (e.expires_at or now, e.id))[:limit]


class MemoryImportRepository(_MemoryTransfers[Import]):
    pass
