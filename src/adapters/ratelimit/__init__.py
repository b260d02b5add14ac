"""Rate limiters (the ``RateLimiter`` port)."""

from reseller_adapters.ratelimit.memory import MemoryRateLimiter

__all__ = ["MemoryRateLimiter"]
