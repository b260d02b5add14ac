"""RateLimiter conformance for the recording fake and the in-memory adapter, plus the
sliding-window arithmetic they share."""

from __future__ import annotations

import pytest

from reseller_adapters.ratelimit.memory import MemoryRateLimiter
from reseller_core.domain.rate_window import SlidingWindowLog, retry_after
from reseller_core.ports.rate_limit import RateLimiter
from reseller_core.testing.conformance.rate_limiter import RateLimiterConformance
from reseller_core.testing.fakes import FixedClock, RecordingRateLimiter


class TestRecordingRateLimiter(RateLimiterConformance):
    @pytest.fixture
    def limiter(self, clock: FixedClock) -> RateLimiter:
        return RecordingRateLimiter(clock)


class TestMemoryRateLimiter(RateLimiterConformance):
    @pytest.fixture
    def limiter(self, clock: FixedClock) -> RateLimiter:
        return MemoryRateLimiter(clock)


async def test_recording_limiter_records_and_can_deny() -> None:
    limiter = RecordingRateLimiter(FixedClock())
    assert (await limiter.hit("ip:1", 10, 60)).allowed
    limiter.deny("ip:1", retry_after_s=30)
    denied = await limiter.hit("ip:1", 10, 60)
    assert (denied.allowed, denied.retry_after_s) == (False, 30)
    limiter.allow("ip:1")
    assert (await limiter.hit("ip:1", 10, 60)).allowed
    assert limiter.calls == [("ip:1", 10, 60)] * 3


def test_one_key_with_two_windows_keeps_two_logs() -> None:
    log = SlidingWindowLog()
    assert log.hit("user", now=0, limit=1, window_s=60).allowed
    assert log.hit("user", now=0, limit=5, window_s=3600).allowed
    assert not log.hit("user", now=30, limit=1, window_s=60).allowed
    assert log.hit("user", now=61, limit=1, window_s=60).allowed
    assert log.hit("user", now=61, limit=5, window_s=3600).remaining == 3


def test_shrinking_limit_waits_for_the_right_hit() -> None:
    log = SlidingWindowLog()
    for now in (0, 1, 2):
        assert log.hit("k", now=now, limit=3, window_s=10).allowed
    decision = log.hit("k", now=3, limit=2, window_s=10)
    # Two hits (t=0 and t=1) must leave before a limit of 2 admits again: t=1 leaves at 11.
    assert (decision.allowed, decision.retry_after_s) == (False, 8)


def test_idle_buckets_are_swept() -> None:
    log = SlidingWindowLog(sweep_every=10)
    for number in range(9):
        log.hit(f"ip:{number}", now=0, limit=1, window_s=60)
    assert len(log) == 9
    log.hit("late", now=120, limit=1, window_s=60)
    assert len(log) == 1


def test_retry_after_bounds() -> None:
    assert retry_after(0, 59.999, 60) == 1
    assert retry_after(0, 60, 60) == 1
    assert retry_after(0, 0.5, 60) == 60
    assert retry_after(100, 0, 60) == 60  # clock stepped back: never more than a window


@pytest.mark.parametrize(("limit", "window"), [(0, 60), (-1, 60), (1, 0), (1, -5)])
def test_nonsense_limits_are_programming_errors(limit: int, window: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        SlidingWindowLog().hit("k", now=0, limit=limit, window_s=window)
