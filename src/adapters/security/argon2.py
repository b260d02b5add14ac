"""Argon2id password hashing (argon2-cffi), off the event loop.

Hashing is deliberately slow (tens of milliseconds, many MiB), so every call runs in a
worker thread: a login must not stall the other requests of the server.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher as _Argon2
from argon2 import profiles
from argon2.exceptions import Argon2Error

_DUMMY_PASSWORD = "reseller-dummy-password-never-valid"


class Argon2PasswordHasher:
    """``PasswordHasher`` using argon2id; defaults are argon2-cffi's RFC 9106 low-memory profile.

    ``time_cost``/``memory_cost`` (KiB)/``parallelism`` may be lowered for tests. The hash
    string carries its own parameters, so hashes made with other settings still verify, and
    ``needs_rehash`` tells when one should be upgraded at the next login.
    """

    def __init__(
        self,
        *,
        time_cost: int = profiles.RFC_9106_LOW_MEMORY.time_cost,
        memory_cost: int = profiles.RFC_9106_LOW_MEMORY.memory_cost,
        parallelism: int = profiles.RFC_9106_LOW_MEMORY.parallelism,
    ) -> None:
        self._hasher = _Argon2(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self._dummy_hash: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        """True for a match; False for a mismatch and for anything that is not an argon2 hash."""
        return await asyncio.to_thread(self._verify, password_hash, password)

    async def dummy_verify(self) -> None:
        """Verify against a fixed hash made with *this* hasher's parameters.

        A precomputed constant with other parameters would take a different time than a
        real verification, which is exactly the signal this call exists to hide. The hash is
        made once, on first use, so constructing the hasher stays cheap.
        """
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(self._hasher.hash, _DUMMY_PASSWORD)
        await asyncio.to_thread(self._verify, self._dummy_hash, "")

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether ``password_hash`` was made with weaker (or other) parameters than ours."""
        try:
            return self._hasher.check_needs_rehash(password_hash)
        except (Argon2Error, ValueError):
            return True

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (Argon2Error, ValueError):
            # A mismatch, a malformed hash or unsupported parameters: never an error to the
            # caller, who must answer every bad login the same way.
            return False
