"""An object storage whose ``HEAD`` can be held until the test releases it."""

from __future__ import annotations

import asyncio
from typing import Any

from reseller_core.ports.storage import ObjectInfo
from reseller_core.testing import MemoryObjectStorage


class HeldHeadStorage:
    """Wraps MemoryObjectStorage; the next ``head`` (after ``hold``) waits for ``release``.

    ``held`` is set once that ``head`` has started, so a test knows the caller is now
    waiting on storage. Other calls pass straight through.
    """

    def __init__(self, inner: MemoryObjectStorage | None = None) -> None:
        self.inner = inner or MemoryObjectStorage()
        self.held = asyncio.Event()
        self._release = asyncio.Event()
        self._holding = False

    def hold(self) -> None:
        self._holding = True
        self.held.clear()
        self._release.clear()

    def release(self) -> None:
        self._release.set()

    async def head(self, key: str) -> ObjectInfo | None:
        if self._holding:
            self._holding = False
            self.held.set()
            await self._release.wait()
        return await self.inner.head(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
