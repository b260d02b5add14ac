"""A per-process sliding-log rate limiter: the embedded default.

Counts live in this process only, so it is right for one server process (the embedded
deployment) and wrong behind several: use the Redis limiter there.
"""

from __future__ import annotations

import threading

from reseller_core.domain.rate_window import SlidingWindowLog
from reseller_core.ports.clock import Clock
from reseller_core.ports.rate_limit import RateDecision


class MemoryRateLimiter:
    """``RateLimiter`` over :class:`~reseller_core.domain.rate_window.SlidingWindowLog`.

    ``hit`` decides and records with no ``await`` in between, so it is atomic within one
    event loop; the lock makes it atomic across threads too (an embedding application may
    call the core from several loops). Rejected hits are not counted, and ``retry_after_s``
    is the whole seconds until the oldest counted hit leaves the window (at least 1).
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._log = SlidingWindowLog()
        self._lock = threading.Lock()

    async def hit(self, key: str, limit: int, window_s: int) -> RateDecision:
        with self._lock:
            verdict = self._log.hit(
                key, now=self._clock.now().timestamp(), limit=limit, window_s=window_s
            )
        return RateDecision(
            verdict.allowed, retry_after_s=verdict.retry_after_s, remaining=verdict.remaining
        )
