"""The Clock and IdFactory implementations: the fakes and the system ones keep the same promises."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from ulid import ULID

from reseller_adapters.system import SystemClock, UlidIdFactory
from reseller_core.domain.ids import is_ulid
from reseller_core.ports.clock import Clock, IdFactory
from reseller_core.testing.fakes import DEFAULT_EPOCH, FixedClock, SequentialIds

SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")


@pytest.mark.parametrize("clock", [SystemClock(), FixedClock()], ids=["system", "fixed"])
def test_clock_is_aware_utc(clock: Clock) -> None:
    now = clock.now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


@pytest.mark.parametrize("ids", [UlidIdFactory(), SequentialIds()], ids=["ulid", "sequential"])
def test_id_factory_promises(ids: IdFactory) -> None:
    new = [ids.new_id() for _ in range(50)]
    assert all(is_ulid(value) and value == value.upper() for value in new)
    assert len(set(new)) == 50
    names = [ids.new_object_name() for _ in range(10)]
    assert all(uuid.UUID(name).version == 4 and str(uuid.UUID(name)) == name for name in names)
    assert len(set(names)) == 10
    secrets = [ids.new_secret() for _ in range(10)]
    assert all(SECRET.match(secret) for secret in secrets)
    assert len(set(secrets)) == 10


def test_sequential_ids_are_deterministic_and_ordered() -> None:
    first, second = SequentialIds(), SequentialIds()
    values = [first.new_id() for _ in range(40)]
    assert values == [second.new_id() for _ in range(40)]
    assert values == sorted(values)
    assert values[0] == "01KDVDNA000000000000000001"
    assert ULID.from_str(values[0]).datetime == DEFAULT_EPOCH
    assert first.new_object_name() == second.new_object_name()
    assert first.new_secret() == second.new_secret()


def test_sequential_ids_follow_the_epoch() -> None:
    later = SequentialIds(epoch=DEFAULT_EPOCH + timedelta(days=1)).new_id()
    assert later > SequentialIds().new_id()


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock()
    assert clock.now() == clock.now() == DEFAULT_EPOCH
    assert clock.advance(90) == DEFAULT_EPOCH + timedelta(seconds=90)
    clock.advance(timedelta(hours=1), minutes=5)
    assert clock.now() == DEFAULT_EPOCH + timedelta(hours=1, minutes=6, seconds=30)
    plus_two = timezone(timedelta(hours=2))
    clock.set(datetime(2026, 6, 1, 14, 0, tzinfo=plus_two))
    assert clock.now() == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 6, 1))  # naive on purpose
