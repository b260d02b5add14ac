"""PasswordHasher conformance for the plain test double and the argon2id adapter."""

from __future__ import annotations

import pytest

from reseller_adapters.security.argon2 import Argon2PasswordHasher
from reseller_core.ports.security import PasswordHasher
from reseller_core.testing.conformance.password_hasher import PasswordHasherConformance
from reseller_core.testing.fakes import PlainPasswordHasher

CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
"""The smallest argon2 parameters: the suite tests behaviour, not strength."""


class TestPlainPasswordHasher(PasswordHasherConformance):
    @pytest.fixture
    def hasher(self) -> PasswordHasher:
        return PlainPasswordHasher()


class TestArgon2PasswordHasher(PasswordHasherConformance):
    @pytest.fixture
    def hasher(self) -> PasswordHasher:
        return Argon2PasswordHasher(**CHEAP)


async def test_argon2_hash_is_argon2id_with_the_given_parameters() -> None:
    hashed = await Argon2PasswordHasher(**CHEAP).hash("pw")
    assert hashed.startswith("$argon2id$v=19$m=8,t=1,p=1$")


async def test_argon2_verifies_hashes_made_with_other_parameters() -> None:
    old = await Argon2PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash("pw")
    hasher = Argon2PasswordHasher(**CHEAP)
    assert await hasher.verify(old, "pw")
    assert hasher.needs_rehash(old)
    assert not hasher.needs_rehash(await hasher.hash("pw"))
    assert hasher.needs_rehash("garbage")


async def test_plain_hasher_is_marked_insecure_and_counts_calls() -> None:
    hasher = PlainPasswordHasher()
    hashed = await hasher.hash("pw")
    assert hashed.startswith("insecure-sha256$")
    await hasher.verify(hashed, "pw")
    await hasher.dummy_verify()
    assert (hasher.verifications, hasher.dummy_verifications) == (1, 1)
