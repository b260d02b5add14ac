"""Rate limiters (the ``RateLimiter`` port)."""

from adapters.ratelimit.memory import MemoryRateLimiter

__all__ = ["MemoryRateLimiter"]
