"""What an adapter may offer beside its port: start and stop, close, a readiness probe.

Each is a small ``runtime_checkable`` protocol, so the composition root asks
``isinstance(adapter, Closable)`` instead of guessing from attribute names, and an adapter
author sees in one place which optional methods the container calls and when.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Startable(Protocol):
    """Background work run only by the process that consumes it (a queue's workers).

    ``Container.start`` calls ``start`` where this process runs jobs; ``Container.close``
    calls ``stop`` on what it started.
    """

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@runtime_checkable
class Closable(Protocol):
    """Holds connections or files that must be released once, at shutdown."""

    async def aclose(self) -> None: ...


@runtime_checkable
class ReadinessProbe(Protocol):
    """Answers ``/health/ready``: returns when the dependency is usable, raises otherwise."""

    async def check(self) -> None: ...


@runtime_checkable
class Drainable(Protocol):
    """An in-process queue that can wait until every enqueued job has finished."""

    async def join(self) -> None: ...


@runtime_checkable
class SweepLease(Protocol):
    """A shared queue's deployment-wide lease: one worker sweeps per interval."""

    async def sweep_lease(self, ttl_s: float) -> bool: ...
