"""Counting requests per key in a rolling window."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import msgspec


class RateDecision(msgspec.Struct, frozen=True):
    allowed: bool
    retry_after_s: int = 0
    remaining: int = 0


@runtime_checkable
class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_s: int) -> RateDecision:
        """Count one request for ``key`` unless that would exceed ``limit`` per ``window_s``.

        A rejected request is not counted. ``retry_after_s`` says when a slot frees.
        Implementations must be atomic: concurrent callers never admit more than ``limit``.
        """
        ...
