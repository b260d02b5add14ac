"""RateLimiter conformance for the Redis limiter on the real Redis server, plus what only a
shared limiter owes: one count across clients and OS processes, keys that expire, and a
clear ``DependencyUnavailable`` when Redis is down."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from typing import Any

import pytest
import redis
from redis.asyncio import Redis

from reseller_adapters.ratelimit.redis import RedisRateLimiter
from reseller_core.errors import DependencyUnavailable
from reseller_core.ports.rate_limit import RateLimiter
from reseller_core.testing.conformance.rate_limiter import RateLimiterConformance
from reseller_core.testing.fakes import FixedClock, SequentialIds
from reseller_entrypoints.plugins import BuildContext
from reseller_entrypoints.settings import Settings
from tests.services import delete_redis_prefix, free_port, unique_prefix

pytestmark = pytest.mark.redis


class TestRedisRateLimiter(RateLimiterConformance):
    """On the Redis clock (``TIME``): the production configuration."""

    controls_time = False

    @pytest.fixture
    def limiter(self, fx_redis: Redis, fx_redis_prefix: str) -> RateLimiter:
        return RedisRateLimiter(fx_redis, prefix=fx_redis_prefix)


class TestRedisRateLimiterOnInjectedClock(RateLimiterConformance):
    """The same script on the suite's fake clock, so the exact-instant tests run too."""

    controls_time = True

    @pytest.fixture
    def limiter(self, fx_redis: Redis, fx_redis_prefix: str, clock: FixedClock) -> RateLimiter:
        return RedisRateLimiter(fx_redis, prefix=fx_redis_prefix, clock=clock)


# --- storage layout ------------------------------------------------------------------------


async def test_keys_are_prefixed_and_expire_one_window_after_the_last_hit(
    fx_redis: Redis, fx_redis_prefix: str
) -> None:
    limiter = RedisRateLimiter(fx_redis, prefix=fx_redis_prefix)
    assert (await limiter.hit("auth:login:203.0.113.9", 10, 60)).allowed
    keys = [key async for key in fx_redis.scan_iter(match=f"{fx_redis_prefix}:*")]
    assert keys == [f"{fx_redis_prefix}:ratelimit:60s:auth:login:203.0.113.9".encode()]
    assert 0 < await fx_redis.pttl(keys[0]) <= 60_000


async def test_rejected_hits_are_not_stored(fx_redis: Redis, fx_redis_prefix: str) -> None:
    limiter = RedisRateLimiter(fx_redis, prefix=fx_redis_prefix)
    for _ in range(2):
        assert (await limiter.hit("k", 2, 60)).allowed
    for _ in range(5):
        assert not (await limiter.hit("k", 2, 60)).allowed
    assert await fx_redis.zcard(limiter.redis_key("k", 60)) == 2


async def test_hits_in_the_same_microsecond_are_each_counted(
    fx_redis: Redis, fx_redis_prefix: str
) -> None:
    clock = FixedClock()  # never advanced: every hit lands on one instant
    limiter = RedisRateLimiter(fx_redis, prefix=fx_redis_prefix, clock=clock)
    decisions = [await limiter.hit("k", 5, 60) for _ in range(6)]
    assert [decision.allowed for decision in decisions] == [True] * 5 + [False]
    assert await fx_redis.zcard(limiter.redis_key("k", 60)) == 5


# --- atomicity across clients and processes ------------------------------------------------


async def test_concurrent_hits_from_several_clients_admit_exactly_limit(
    fx_redis_url: str, fx_redis: Redis, fx_redis_prefix: str
) -> None:
    clients = [Redis.from_url(fx_redis_url) for _ in range(4)]
    try:
        limiters = [RedisRateLimiter(client, prefix=fx_redis_prefix) for client in clients]
        decisions = await asyncio.gather(
            *(limiter.hit("shared", 10, 60) for _ in range(25) for limiter in limiters)
        )
    finally:
        for client in clients:
            await client.aclose()
    assert sum(decision.allowed for decision in decisions) == 10
    assert await fx_redis.zcard(f"{fx_redis_prefix}:ratelimit:60s:shared") == 10


async def _hammer(url: str, prefix: str, hits: int, barrier: Any) -> int:
    client = Redis.from_url(url)
    try:
        limiter = RedisRateLimiter(client, prefix=prefix)
        await client.ping()  # connected before the start line, so the hits overlap
        await asyncio.to_thread(barrier.wait)
        decisions = await asyncio.gather(*(limiter.hit("shared", 10, 60) for _ in range(hits)))
        return sum(decision.allowed for decision in decisions)
    finally:
        await client.aclose()


def hammer_in_process(url: str, prefix: str, hits: int, barrier: Any, results: Any) -> None:
    """Child-process body: ``hits`` concurrent hits on one shared key; reports the admitted."""
    results.put(asyncio.run(_hammer(url, prefix, hits, barrier)))


def test_concurrent_hits_from_several_processes_admit_exactly_limit(fx_redis_url: str) -> None:
    processes_count, hits = 3, 20
    prefix = unique_prefix("ratelimit-mp")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes_count)
    results = context.Queue()
    processes = [
        context.Process(
            target=hammer_in_process, args=(fx_redis_url, prefix, hits, barrier, results)
        )
        for _ in range(processes_count)
    ]
    check = redis.Redis.from_url(fx_redis_url)
    try:
        for process in processes:
            process.start()
        admitted = [results.get(timeout=120) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        assert [process.exitcode for process in processes] == [0] * processes_count
        assert sum(admitted) == 10
        assert check.zcard(f"{prefix}:ratelimit:60s:shared") == 10
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()
        leftovers = list(check.scan_iter(match=f"{prefix}:*"))
        if leftovers:
            check.delete(*leftovers)
        check.close()


# --- Redis unreachable ---------------------------------------------------------------------


async def test_unreachable_redis_is_a_dependency_outage(caplog: pytest.LogCaptureFixture) -> None:
    client = Redis.from_url(
        f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0", socket_connect_timeout=2
    )
    limiter = RedisRateLimiter(client, prefix=unique_prefix("ratelimit-down"))
    try:
        with caplog.at_level(logging.WARNING, logger="reseller_adapters.ratelimit.redis"):
            with pytest.raises(DependencyUnavailable) as hit_error:
                await limiter.hit("k", 10, 60)
            with pytest.raises(DependencyUnavailable) as check_error:
                await limiter.check()
    finally:
        await client.aclose()
    assert hit_error.value.dependency == check_error.value.dependency == "rate_limiter"
    assert hit_error.value.code == "service_unavailable"
    assert "Redis unavailable" in caplog.text
    assert "hunter2-secret" not in caplog.text


async def test_check_pings_a_reachable_redis(fx_redis: Redis, fx_redis_prefix: str) -> None:
    await RedisRateLimiter(fx_redis, prefix=fx_redis_prefix).check()


# --- construction from settings ------------------------------------------------------------


def build_context(tmp_path: Any) -> BuildContext:
    return BuildContext(clock=FixedClock(), ids=SequentialIds(), data_dir=tmp_path)


async def test_from_settings_creates_and_shares_one_client(
    fx_redis_url: str, tmp_path: Any
) -> None:
    settings = Settings(
        redis_url=fx_redis_url, redis_prefix=unique_prefix("ratelimit"), redis_timeout_s=1.5
    )
    context = build_context(tmp_path)
    first = RedisRateLimiter.from_settings(settings, context)
    second = RedisRateLimiter.from_settings(settings, context)
    try:
        assert context.resources["redis"] is first.client is second.client
        kwargs = first.client.connection_pool.connection_kwargs
        assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (1.5, 1.5)
        assert (await first.hit("k", 1, 60)).allowed
        assert not (await second.hit("k", 1, 60)).allowed
    finally:
        await delete_redis_prefix(first.client, settings.redis_prefix)
        await first.client.aclose()


async def test_from_settings_reuses_a_client_another_adapter_shared(
    fx_redis: Redis, tmp_path: Any
) -> None:
    context = build_context(tmp_path)
    context.resources["redis"] = fx_redis
    limiter = RedisRateLimiter.from_settings(Settings(), context)
    assert limiter.client is fx_redis


def test_from_settings_refuses_a_resource_that_is_not_an_async_client(tmp_path: Any) -> None:
    context = build_context(tmp_path)
    context.resources["redis"] = object()
    with pytest.raises(TypeError, match=r"redis\.asyncio\.Redis"):
        RedisRateLimiter.from_settings(Settings(), context)
