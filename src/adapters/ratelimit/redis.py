"""A sliding-log rate limiter in Redis, shared by every server process of a deployment.

Each ``(key, window)`` bucket is one sorted set of the admitted hits (score: the instant in
microseconds, member: a random token, so two hits in the same microsecond are two entries).
One Lua script prunes, counts, decides and records, so Redis runs it atomically: concurrent
callers in any number of processes never admit more than ``limit``. The instant comes from
Redis ``TIME``, so every process shares one clock. A rejected hit is not recorded, and each
set expires one window after its newest hit, so idle clients leave nothing behind.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol

try:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "The Redis rate limiter needs the redis extra: pip install 'reseller-core[redis]'"
    ) from error

from reseller_core.errors import DependencyUnavailable
from reseller_core.ports.clock import Clock
from reseller_core.ports.rate_limit import RateDecision

log = logging.getLogger(__name__)

DEPENDENCY: Final = "rate_limiter"
"""The name a Redis outage is reported under (503 envelope, readiness)."""

RESOURCE: Final = "redis"
"""Key of the shared ``redis.asyncio`` client in the build context's resources."""

_MICROSECOND: Final = timedelta(microseconds=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

SLIDING_LOG_SCRIPT: Final = """
-- KEYS[1]: sorted set of admitted hits (score: instant in microseconds, member: unique token)
-- ARGV[1]: limit; ARGV[2]: window in microseconds; ARGV[3]: this hit's unique token;
-- ARGV[4]: the instant in microseconds, or '' to read the Redis clock.
-- Returns {allowed (0/1), remaining, microseconds until a slot frees (0 when allowed)}.
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now
if ARGV[4] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
else
  now = tonumber(ARGV[4])
end
-- A hit at t counts while now < t + window.
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count >= limit then
  -- The hit that must leave before a slot frees leaves limit - 1 counted behind it
  -- (older than the oldest when the limit shrank between calls).
  local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  return {0, 0, tonumber(blocking[2]) + window - now}
end
redis.call('ZADD', key, now, ARGV[3])
redis.call('PEXPIRE', key, math.ceil(window / 1000))
return {1, limit - count - 1, 0}
"""


class RedisSettings(Protocol):
    """The settings this adapter reads (a structural view of the deployment settings)."""

    @property
    def redis_url(self) -> str: ...

    @property
    def redis_prefix(self) -> str: ...

    @property
    def redis_timeout_s(self) -> float: ...


class SharedResources(Protocol):
    """The build context's shared clients, keyed by name."""

    @property
    def resources(self) -> dict[str, Any]: ...


class RedisRateLimiter:
    """``RateLimiter`` over one Redis sorted set per bucket, decided by one atomic script.

    ``clock`` replaces Redis ``TIME`` with an injected clock, for tests that need exact
    instants; production leaves it unset so that every process counts on the server's clock.
    """

    def __init__(self, client: Redis, *, prefix: str, clock: Clock | None = None) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock
        self._script = client.register_script(SLIDING_LOG_SCRIPT)

    @classmethod
    def from_settings(cls, settings: RedisSettings, context: SharedResources) -> RedisRateLimiter:
        """Build on the deployment's shared Redis client, creating (and sharing) it if needed.

        The client is stored in ``context.resources``, so the container closes it on
        shutdown and other Redis adapters reuse its connection pool.
        """
        client = context.resources.get(RESOURCE)
        if client is None:
            timeout = settings.redis_timeout_s
            client = Redis.from_url(
                settings.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout
            )
            context.resources[RESOURCE] = client
        elif not isinstance(client, Redis):
            raise TypeError(
                f"resource {RESOURCE!r} must be a redis.asyncio.Redis client, "
                f"not {type(client).__name__}"
            )
        return cls(client, prefix=settings.redis_prefix)

    @property
    def client(self) -> Redis:
        return self._client

    def redis_key(self, key: str, window_s: float) -> str:
        """The sorted set of one bucket: prefixed, and per window like the in-memory limiter."""
        return f"{self._prefix}:ratelimit:{_window_label(window_s)}:{key}"

    async def hit(self, key: str, limit: int, window_s: int) -> RateDecision:
        """Count one hit unless ``limit`` are already in the window; Redis down → 503."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if window_s <= 0:
            raise ValueError("window_s must be positive")
        window_us = max(1, round(window_s * 1_000_000))
        now = "" if self._clock is None else str((self._clock.now() - _EPOCH) // _MICROSECOND)
        try:
            allowed, remaining, wait_us = await self._script(
                keys=[self.redis_key(key, window_s)],
                args=[limit, window_us, uuid.uuid4().hex, now],
            )
        except (RedisError, OSError) as error:
            raise _unavailable("hit", error) from error
        if allowed:
            return RateDecision(True, remaining=int(remaining))
        return RateDecision(False, retry_after_s=_retry_after(int(wait_us), window_us), remaining=0)

    async def check(self) -> None:
        """Readiness probe: one ``PING``; raises ``DependencyUnavailable`` when Redis is down."""
        try:
            await self._client.ping()
        except (RedisError, OSError) as error:
            raise _unavailable("check", error) from error


def _retry_after(wait_us: int, window_us: int) -> int:
    """Whole seconds until a slot frees (rounded up), at least 1 and at most one window."""
    ceiling = -(-window_us // 1_000_000)
    return max(1, min(-(-wait_us // 1_000_000), ceiling))


def _window_label(window_s: float) -> str:
    """``60`` → ``60s``; fractional windows keep their exact value (``1.5s``)."""
    seconds = float(window_s)
    return f"{int(seconds)}s" if seconds.is_integer() else f"{seconds!r}s"


def _unavailable(operation: str, error: BaseException) -> DependencyUnavailable:
    """Log the failure (its type and message: never the URL, which may hold a password)."""
    log.warning(
        "rate limiter %s failed, Redis unavailable: %s: %s", operation, type(error).__name__, error
    )
    return DependencyUnavailable(DEPENDENCY)
