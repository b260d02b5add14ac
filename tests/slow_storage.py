"""An object storage that can hold one call to an operation until the test releases it."""

from __future__ import annotations

import asyncio
from typing import Any

from reseller_core.testing import MemoryObjectStorage


class HeldStorage:
    """Wraps MemoryObjectStorage; the next call to ``operation`` (after ``hold``) waits.

    ``held`` is set once that call has started, so a test knows the caller is now waiting
    on storage; ``release`` lets it finish. Every other call passes straight through.
    """

    def __init__(self, inner: MemoryObjectStorage | None = None, operation: str = "head") -> None:
        self.inner = inner or MemoryObjectStorage()
        self.operation = operation
        self.held = asyncio.Event()
        self._release = asyncio.Event()
        self._holding = False

    def hold(self) -> None:
        self._holding = True
        self.held.clear()
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name != self.operation:
            return method

        async def held_call(*args: Any, **kwargs: Any) -> Any:
            if self._holding:
                self._holding = False
                self.held.set()
                await self._release.wait()
            return await method(*args, **kwargs)

        return held_call
