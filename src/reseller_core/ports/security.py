"""Password hashing; the format of the stored hash is the adapter's business."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool:
        """Constant-time check; False (never an exception) for a wrong password."""
        ...

    async def dummy_verify(self) -> None:
        """Spend the time of one verification, to keep unknown-e-mail logins uniform."""
        ...
