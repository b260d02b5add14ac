"""Conformance suite for the ``RateLimiter`` port.

Subclass :class:`RateLimiterConformance` and provide ``limiter``. The fixture receives a
:class:`~reseller_core.testing.fakes.FixedClock`: limiters that take a ``Clock`` should use
it, and the suite moves time by advancing it. A limiter on real time (Redis) sets
``controls_time = False``: the suite then sleeps instead, keeps windows short and skips the
tests that need exact instants.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from reseller_core.ports.rate_limit import RateLimiter
from reseller_core.testing.fakes import FixedClock


class RateLimiterConformance:
    """Admission, rejection, independence and atomicity every ``RateLimiter`` owes the core."""

    pytestmark = pytest.mark.asyncio

    controls_time: bool = True
    """True when the limiter reads the ``clock`` fixture; False for real-time limiters."""

    @pytest.fixture
    def clock(self) -> FixedClock:
        return FixedClock()

    @pytest.fixture
    def limiter(self, clock: FixedClock) -> RateLimiter:
        raise NotImplementedError("provide a `limiter` fixture")

    async def advance(self, clock: FixedClock, seconds: float) -> None:
        """Let ``seconds`` pass, on the fake clock or (``controls_time = False``) for real."""
        if self.controls_time:
            clock.advance(seconds)
        else:
            await asyncio.sleep(seconds)

    @staticmethod
    def new_key() -> str:
        return f"conformance:{uuid.uuid4()}"

    def _needs_clock(self) -> None:
        if not self.controls_time:
            pytest.skip("needs a limiter driven by the injected clock")

    async def test_admits_exactly_limit_then_rejects(self, limiter: RateLimiter) -> None:
        key = self.new_key()
        decisions = [await limiter.hit(key, 3, 60) for _ in range(3)]
        assert [decision.allowed for decision in decisions] == [True, True, True]
        assert [decision.remaining for decision in decisions] == [2, 1, 0]
        rejected = await limiter.hit(key, 3, 60)
        assert not rejected.allowed
        assert rejected.remaining == 0
        assert 1 <= rejected.retry_after_s <= 60

    async def test_keys_are_independent(self, limiter: RateLimiter) -> None:
        first, second = self.new_key(), self.new_key()
        assert (await limiter.hit(first, 1, 60)).allowed
        assert not (await limiter.hit(first, 1, 60)).allowed
        assert (await limiter.hit(second, 1, 60)).allowed

    async def test_concurrent_hits_admit_exactly_limit(self, limiter: RateLimiter) -> None:
        key = self.new_key()
        decisions = await asyncio.gather(*(limiter.hit(key, 10, 60) for _ in range(50)))
        assert sum(decision.allowed for decision in decisions) == 10
        assert all(decision.retry_after_s >= 1 for decision in decisions if not decision.allowed)

    async def test_concurrent_hits_on_many_keys_admit_limit_per_key(
        self, limiter: RateLimiter
    ) -> None:
        keys = [self.new_key() for _ in range(5)]
        decisions = await asyncio.gather(
            *(limiter.hit(key, 3, 60) for _ in range(8) for key in keys)
        )
        admitted = dict.fromkeys(keys, 0)
        for index, decision in enumerate(decisions):
            admitted[keys[index % len(keys)]] += decision.allowed
        assert admitted == dict.fromkeys(keys, 3)

    async def test_one_key_with_two_windows_keeps_two_counts(self, limiter: RateLimiter) -> None:
        key = self.new_key()
        assert (await limiter.hit(key, 1, 60)).allowed
        assert (await limiter.hit(key, 5, 3600)).remaining == 4
        assert not (await limiter.hit(key, 1, 60)).allowed
        assert (await limiter.hit(key, 5, 3600)).remaining == 3

    async def test_a_lower_limit_counts_the_hits_already_admitted(
        self, limiter: RateLimiter
    ) -> None:
        key = self.new_key()
        for _ in range(3):
            assert (await limiter.hit(key, 5, 60)).allowed
        rejected = await limiter.hit(key, 3, 60)
        assert (rejected.allowed, rejected.remaining) == (False, 0)
        assert 1 <= rejected.retry_after_s <= 60
        last = await limiter.hit(key, 4, 60)
        assert (last.allowed, last.remaining) == (True, 0)

    @pytest.mark.parametrize(("limit", "window_s"), [(0, 60), (-1, 60), (1, 0), (1, -5)])
    async def test_nonsense_limits_are_programming_errors(
        self, limiter: RateLimiter, limit: int, window_s: int
    ) -> None:
        with pytest.raises(ValueError, match="must be"):
            await limiter.hit(self.new_key(), limit, window_s)

    async def test_window_expiry_frees_slots(self, limiter: RateLimiter, clock: FixedClock) -> None:
        key = self.new_key()
        assert (await limiter.hit(key, 2, 1)).allowed
        assert (await limiter.hit(key, 2, 1)).allowed
        assert not (await limiter.hit(key, 2, 1)).allowed
        await self.advance(clock, 1.1)
        assert (await limiter.hit(key, 2, 1)).allowed

    async def test_rejected_hits_are_not_counted(
        self, limiter: RateLimiter, clock: FixedClock
    ) -> None:
        key = self.new_key()
        assert (await limiter.hit(key, 1, 1)).allowed
        for _ in range(5):
            assert not (await limiter.hit(key, 1, 1)).allowed
        await self.advance(clock, 1.1)
        # Had the rejections been recorded, the bucket would still be full.
        assert (await limiter.hit(key, 1, 1)).allowed

    async def test_window_slides(self, limiter: RateLimiter, clock: FixedClock) -> None:
        self._needs_clock()
        key = self.new_key()
        assert (await limiter.hit(key, 2, 10)).allowed  # t = 0
        await self.advance(clock, 5)
        assert (await limiter.hit(key, 2, 10)).allowed  # t = 5
        await self.advance(clock, 1)
        rejected = await limiter.hit(key, 2, 10)  # t = 6: the t=0 hit leaves at 10
        assert (rejected.allowed, rejected.retry_after_s) == (False, 4)
        await self.advance(clock, 4)
        assert (await limiter.hit(key, 2, 10)).allowed  # t = 10: one slot freed
        await self.advance(clock, 1)
        rejected = await limiter.hit(key, 2, 10)  # t = 11: the t=5 hit leaves at 15
        assert (rejected.allowed, rejected.retry_after_s) == (False, 4)

    async def test_retry_after_rounds_up_and_is_at_least_one(
        self, limiter: RateLimiter, clock: FixedClock
    ) -> None:
        self._needs_clock()
        key = self.new_key()
        assert (await limiter.hit(key, 1, 60)).allowed
        await self.advance(clock, 59.75)
        rejected = await limiter.hit(key, 1, 60)
        assert (rejected.allowed, rejected.retry_after_s) == (False, 1)
        await self.advance(clock, 0.2)
        assert not (await limiter.hit(key, 1, 60)).allowed
        await self.advance(clock, 0.05)
        assert (await limiter.hit(key, 1, 60)).allowed

    async def test_the_spec_auth_limit(self, limiter: RateLimiter, clock: FixedClock) -> None:
        """Spec 10 §2.5: 10 per rolling 60 s per IP; the 11th is rejected and not counted."""
        self._needs_clock()
        key = f"auth:{uuid.uuid4()}"
        for _ in range(10):
            assert (await limiter.hit(key, 10, 60)).allowed
            await self.advance(clock, 1)
        eleventh = await limiter.hit(key, 10, 60)  # t = 10
        assert (eleventh.allowed, eleventh.retry_after_s) == (False, 50)
        await self.advance(clock, 50)  # t = 60: the t=0 hit has left
        assert (await limiter.hit(key, 10, 60)).allowed
        assert not (await limiter.hit(key, 10, 60)).allowed
