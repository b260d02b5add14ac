"""Time and identity sources, injected so the core never reads the clock or RNG itself."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


@runtime_checkable
class IdFactory(Protocol):
    def new_id(self) -> str:
        """A new ULID string (upper-case)."""
        ...

    def new_object_name(self) -> str:
        """A new random object name for storage keys (a UUID4 string)."""
        ...

    def new_secret(self) -> str:
        """A new 32-byte CSPRNG secret, URL-safe base64 without padding (43 chars)."""
        ...
