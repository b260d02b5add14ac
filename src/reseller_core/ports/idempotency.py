"""Persistence of ``Idempotency-Key`` answers: one row per (user, key, operation)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec


class StoredAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """A keyed request: in progress while ``status`` is None, then its answer as sent.

    ``operation`` is the method and the request path (``POST /api/v1/products/X/reprocess``);
    ``fingerprint`` a digest of the request body, so a key reused for another body is told
    apart from a retry.
    """

    user_id: str
    key: str
    operation: str
    fingerprint: str
    status: int | None = None
    content_type: str | None = None
    body: bytes = b""
    created_at: datetime
    expires_at: datetime


class IdempotencyRepository(Protocol):
    async def claim(self, record: StoredAnswer, now: datetime) -> StoredAnswer | None:
        """Insert ``record`` (in progress) unless a live row holds its (user, key, operation).

        A row past ``expires_at`` is replaced. Returns None when the claim was taken, else
        the row that holds the key.
        """
        ...

    async def complete(
        self, record: StoredAnswer, status: int, content_type: str | None, body: bytes
    ) -> None:
        """Store the answer sent for a claimed key."""
        ...

    async def release(self, record: StoredAnswer) -> None:
        """Drop a claim whose request left no answer worth replaying."""
        ...

    async def delete_expired(self, now: datetime) -> int:
        """Delete every row past ``expires_at``; how many were deleted."""
        ...
