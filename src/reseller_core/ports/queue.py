"""Background jobs. Jobs carry ids only; the worker reloads state through the unit of work."""

from __future__ import annotations

from typing import Protocol

import msgspec


class Job(msgspec.Struct, frozen=True):
    name: str
    args: dict[str, str]


class TaskQueue(Protocol):
    async def enqueue(self, job: Job) -> None:
        """Hand ``job`` to a worker. Delivery is at-least-once; jobs must be idempotent."""
        ...
