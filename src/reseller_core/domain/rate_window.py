"""Sliding-log rate-limit arithmetic, shared by the in-memory limiter and its test double.

Pure bookkeeping: the caller passes ``now`` (seconds since the epoch), so there is no clock
read and no I/O, and nothing here awaits. A caller that runs ``hit`` without an ``await``
between deciding and recording is atomic within one event loop, which is what the
``RateLimiter`` port requires.
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple

SWEEP_EVERY = 1024
"""Hits between two sweeps of idle buckets, so one-off keys (client IPs) do not pile up."""


class WindowDecision(NamedTuple):
    """The verdict for one hit; mirrors ``ports.rate_limit.RateDecision`` without importing it."""

    allowed: bool
    retry_after_s: int
    remaining: int


def retry_after(oldest: float, now: float, window_s: float) -> int:
    """Whole seconds until a hit admitted at ``oldest`` leaves the window (ceil, at least 1).

    Capped at the window length, so a clock that stepped backwards cannot ask a client to
    wait longer than one window.
    """
    wait = math.ceil(oldest + window_s - now)
    return max(1, min(wait, math.ceil(window_s)))


class SlidingWindowLog:
    """Timestamps of the admitted hits, one log per ``(key, window)`` bucket.

    A hit at ``t`` counts while ``now < t + window_s``. Rejected hits are not recorded, so a
    client hammering a closed bucket does not extend its own ban. Buckets are keyed by the
    window as well as the key, so one key used with two windows never prunes the other's log.
    """

    def __init__(self, *, sweep_every: int = SWEEP_EVERY) -> None:
        self._logs: dict[tuple[str, float], deque[float]] = {}
        self._sweep_every = max(1, sweep_every)
        self._since_sweep = 0

    def __len__(self) -> int:
        """Number of live buckets (for tests of the idle-bucket sweep)."""
        return len(self._logs)

    def hit(self, key: str, *, now: float, limit: int, window_s: float) -> WindowDecision:
        """Admit and record one hit for ``key`` unless ``limit`` hits are already in the window."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        self._maybe_sweep(now)
        bucket = (key, float(window_s))
        log = self._logs.get(bucket)
        if log is None:
            log = self._logs[bucket] = deque()
        cutoff = now - window_s
        while log and log[0] <= cutoff:
            log.popleft()
        if len(log) >= limit:
            # The oldest entry that must leave before a slot frees is the one that would
            # leave the count at limit - 1 (relevant when the limit shrank between calls).
            blocking = log[len(log) - limit]
            return WindowDecision(False, retry_after(blocking, now, window_s), 0)
        log.append(now)
        return WindowDecision(True, 0, limit - len(log))

    def _maybe_sweep(self, now: float) -> None:
        self._since_sweep += 1
        if self._since_sweep < self._sweep_every:
            return
        self._since_sweep = 0
        idle = [
            bucket for bucket, log in self._logs.items() if not log or log[-1] <= now - bucket[1]
        ]
        for bucket in idle:
            del self._logs[bucket]
