"""Conformance suite for the ``PasswordHasher`` port.

Subclass :class:`PasswordHasherConformance` and provide ``hasher`` (with cheap parameters:
the suite hashes a dozen times).
"""

from __future__ import annotations

import pytest

from reseller_core.ports.security import PasswordHasher


class PasswordHasherConformance:
    """Hashes verify, never leak the password, and every bad input is just ``False``."""

    pytestmark = pytest.mark.asyncio

    @pytest.fixture
    def hasher(self) -> PasswordHasher:
        raise NotImplementedError("provide a `hasher` fixture")

    async def test_hash_verifies(self, hasher: PasswordHasher) -> None:
        hashed = await hasher.hash("correct horse battery staple")
        assert await hasher.verify(hashed, "correct horse battery staple")

    async def test_hash_does_not_contain_the_password(self, hasher: PasswordHasher) -> None:
        hashed = await hasher.hash("correct horse battery staple")
        assert "correct horse" not in hashed

    async def test_hashes_are_salted(self, hasher: PasswordHasher) -> None:
        assert await hasher.hash("same password") != await hasher.hash("same password")

    async def test_wrong_password_is_false(self, hasher: PasswordHasher) -> None:
        hashed = await hasher.hash("correct horse battery staple")
        assert await hasher.verify(hashed, "Correct horse battery staple") is False
        assert await hasher.verify(hashed, "") is False

    @pytest.mark.parametrize(
        "bad_hash",
        ["", "not a hash", "$argon2id$v=19$m=1,t=1,p=1$AAAA$BBBB", "pbkdf2_sha256$1$a$b", "$$$"],
    )
    async def test_malformed_hash_is_false_not_an_error(
        self, hasher: PasswordHasher, bad_hash: str
    ) -> None:
        assert await hasher.verify(bad_hash, "whatever") is False

    async def test_unicode_and_long_passwords(self, hasher: PasswordHasher) -> None:
        for password in ["pässwörd 東京 🙂", "x" * 1000]:
            hashed = await hasher.hash(password)
            assert await hasher.verify(hashed, password)
            assert not await hasher.verify(hashed, password[:-1])

    async def test_dummy_verify_completes_repeatedly(self, hasher: PasswordHasher) -> None:
        # Twice: an implementation may prepare its dummy hash lazily on the first call.
        await hasher.dummy_verify()
        await hasher.dummy_verify()
