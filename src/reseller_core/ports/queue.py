"""Background jobs. Jobs carry ids only; the worker reloads state through the unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol, runtime_checkable

import msgspec


class Job(msgspec.Struct, frozen=True):
    name: str
    args: dict[str, str]


JobHandler = Callable[[Mapping[str, str]], Awaitable[None]]
"""What a queue calls to run a job: an async function of the job's arguments (ids)."""


@runtime_checkable
class TaskQueue(Protocol):
    async def enqueue(self, job: Job) -> None:
        """Hand ``job`` to a worker. Delivery is at-least-once; jobs must be idempotent."""
        ...
