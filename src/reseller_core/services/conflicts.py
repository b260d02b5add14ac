"""Optimistic concurrency: run an operation again when another writer changed its rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from reseller_core.errors import Conflict

T = TypeVar("T")
CONFLICT_RETRIES = 3


async def retrying(operation: Callable[[], Awaitable[T]]) -> T:
    """``operation()``, repeated (up to 3 tries) while it raises ``Conflict``."""
    for attempt in range(CONFLICT_RETRIES):
        try:
            return await operation()
        except Conflict:
            if attempt == CONFLICT_RETRIES - 1:
                raise
    raise AssertionError("unreachable")
