"""In-memory ``Idempotency-Key`` answers for ``MemoryUnitOfWork``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import msgspec

from reseller_core.ports.idempotency import StoredAnswer

AnswerKey = tuple[str, str, str]


def _key(record: StoredAnswer) -> AnswerKey:
    return (record.user_id, record.key, record.operation)


class MemoryIdempotencyRepository:
    def __init__(self, table: Callable[[], dict[AnswerKey, StoredAnswer]]) -> None:
        self._table = table

    async def claim(self, record: StoredAnswer, now: datetime) -> StoredAnswer | None:
        held = self._table().get(_key(record))
        if held is not None and held.expires_at > now:
            return held
        self._table()[_key(record)] = record
        return None

    async def complete(
        self, record: StoredAnswer, status: int, content_type: str | None, body: bytes
    ) -> None:
        held = self._table().get(_key(record))
        if held is not None:
            self._table()[_key(record)] = msgspec.structs.replace(
                held, status=status, content_type=content_type, body=body
            )

    async def release(self, record: StoredAnswer) -> None:
        held = self._table().get(_key(record))
        if held is not None and held.status is None:
            del self._table()[_key(record)]

    async def delete_expired(self, now: datetime) -> int:
        expired = [key for key, held in self._table().items() if held.expires_at <= now]
        for key in expired:
            del self._table()[key]
        return len(expired)
