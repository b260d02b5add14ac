"""IdempotencyService over the in-memory unit of work: claim, replay, refusals, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reseller_core.errors import IdempotencyKeyInUse, IdempotencyKeyReused, ValidationFailed
from reseller_core.services.idempotency import IdempotencyService, check_idempotency_key
from reseller_core.testing import MemoryDatabase, memory_uow_factory
from reseller_core.testing.fakes import FixedClock

OPERATION = "POST /api/v1/products/P/reprocess"


@pytest.fixture
def fx_clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def fx_service(fx_clock: FixedClock) -> IdempotencyService:
    return IdempotencyService(uow=memory_uow_factory(MemoryDatabase()), clock=fx_clock)


async def test_a_finished_success_is_replayed_for_the_same_body(
    fx_service: IdempotencyService,
) -> None:
    claim, stored = await fx_service.begin("u1", "k", OPERATION, b"{}")
    assert stored is None
    await fx_service.finish(claim, 202, "application/json", b'{"data": 1}')
    _, replay = await fx_service.begin("u1", "k", OPERATION, b"{}")
    assert replay is not None
    assert (replay.status, replay.content_type, replay.body) == (
        202,
        "application/json",
        b'{"data": 1}',
    )


async def test_another_body_is_refused_and_a_running_key_is_busy(
    fx_service: IdempotencyService,
) -> None:
    claim, _ = await fx_service.begin("u1", "k", OPERATION, b"{}")
    with pytest.raises(IdempotencyKeyInUse):
        await fx_service.begin("u1", "k", OPERATION, b"{}")
    with pytest.raises(IdempotencyKeyReused):
        await fx_service.begin("u1", "k", OPERATION, b'{"a": 1}')
    await fx_service.finish(claim, 200, None, b"")
    with pytest.raises(IdempotencyKeyReused):
        await fx_service.begin("u1", "k", OPERATION, b'{"a": 1}')


async def test_keys_are_scoped_by_user_and_operation(fx_service: IdempotencyService) -> None:
    await fx_service.begin("u1", "k", OPERATION, b"{}")
    assert (await fx_service.begin("u2", "k", OPERATION, b"{}"))[1] is None
    assert (await fx_service.begin("u1", "k", "POST /other", b"{}"))[1] is None


@pytest.mark.parametrize("status", [400, 402, 409, 422, 500])
async def test_error_answers_release_the_key(fx_service: IdempotencyService, status: int) -> None:
    claim, _ = await fx_service.begin("u1", "k", OPERATION, b"{}")
    await fx_service.finish(claim, status, "application/json", b"{}")
    assert (await fx_service.begin("u1", "k", OPERATION, b"other"))[1] is None


async def test_answers_expire_after_24_hours(
    fx_service: IdempotencyService, fx_clock: FixedClock
) -> None:
    claim, _ = await fx_service.begin("u1", "k", OPERATION, b"{}")
    await fx_service.finish(claim, 200, None, b"first")
    fx_clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    assert await fx_service.purge_expired() == 0
    assert (await fx_service.begin("u1", "k", OPERATION, b"{}"))[1] is not None
    fx_clock.advance(seconds=1)
    assert await fx_service.purge_expired() == 1
    assert (await fx_service.begin("u1", "k", OPERATION, b"{}"))[1] is None


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "can't be blank"),
        ("x" * 256, "is too long (maximum is 255 characters)"),
        ("a b", "is invalid"),
        ("ключ", "is invalid"),
        ("\x00", "is invalid"),
    ],
)
def test_malformed_keys(key: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_idempotency_key(key)
    assert raised.value.fields == {"Idempotency-Key": [message]}


def test_every_visible_ascii_character_is_allowed() -> None:
    key = "".join(chr(code) for code in range(0x21, 0x7F))
    assert check_idempotency_key(key) == key
    assert check_idempotency_key("k" * 255) == "k" * 255
