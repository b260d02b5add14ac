"""Fixtures for the use-case tests: ``Deps`` over the in-memory fakes (all named ``fx_*``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from reseller_adapters.marketplaces.builtin import builtin_marketplaces
from reseller_core.domain.users import User
from reseller_core.services.accounts import AccountService
from reseller_core.services.config import CoreConfig
from reseller_core.services.deps import Deps
from reseller_core.testing.fakes import (
    FixedClock,
    MemoryMailer,
    MemoryObjectStorage,
    PlainPasswordHasher,
    RecordingRateLimiter,
    RecordingTaskQueue,
    SequentialIds,
)
from reseller_core.testing.memory_uow import MemoryDatabase, memory_uow_factory

from .json_use_cases import JsonAccounts, JsonProducts, product_service

START = datetime(2026, 4, 15, 10, 0, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


class NotCalled:
    """Stand-in for ports these services must never touch (AI provider, image editor)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        raise AssertionError(f"{self._name}.{attribute} must not be used by this service")


@pytest.fixture
def fx_clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def fx_ids() -> SequentialIds:
    return SequentialIds(epoch=START)


@pytest.fixture
def fx_db() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def fx_storage() -> MemoryObjectStorage:
    return MemoryObjectStorage()


@pytest.fixture
def fx_queue() -> RecordingTaskQueue:
    return RecordingTaskQueue()


@pytest.fixture
def fx_mailer() -> MemoryMailer:
    return MemoryMailer()


@pytest.fixture
def fx_hasher() -> PlainPasswordHasher:
    return PlainPasswordHasher()


@pytest.fixture
def fx_limiter(fx_clock: FixedClock) -> RecordingRateLimiter:
    return RecordingRateLimiter(fx_clock)


@pytest.fixture
def fx_config() -> CoreConfig:
    return CoreConfig(
        confirmation_url_base="https://app.example.test/confirm",
        pricing_url="https://app.example.test/pricing",
    )


@pytest.fixture
def fx_deps(
    fx_db: MemoryDatabase,
    fx_storage: MemoryObjectStorage,
    fx_queue: RecordingTaskQueue,
    fx_limiter: RecordingRateLimiter,
    fx_mailer: MemoryMailer,
    fx_hasher: PlainPasswordHasher,
    fx_clock: FixedClock,
    fx_ids: SequentialIds,
    fx_config: CoreConfig,
) -> Deps:
    return Deps(
        uow=memory_uow_factory(fx_db),
        storage=fx_storage,
        queue=fx_queue,
        ai=NotCalled("ai"),  # type: ignore[arg-type]
        image_editor=NotCalled("image_editor"),  # type: ignore[arg-type]
        rate_limiter=fx_limiter,
        mailer=fx_mailer,
        hasher=fx_hasher,
        clock=fx_clock,
        ids=fx_ids,
        marketplaces=builtin_marketplaces(fx_config.supported_marketplaces),
        config=fx_config,
    )


@pytest.fixture
def fx_account_service(fx_deps: Deps) -> AccountService:
    return account_service(fx_deps)


def account_service(deps: Deps) -> AccountService:
    """The account use cases over the ports of ``deps`` they use."""
    return AccountService(
        uow=deps.uow,
        reader=deps.reader,
        rate_limiter=deps.rate_limiter,
        mailer=deps.mailer,
        hasher=deps.hasher,
        clock=deps.clock,
        ids=deps.ids,
        marketplaces=deps.marketplaces,
        config=deps.config,
    )


@pytest.fixture
def fx_accounts(fx_account_service: AccountService) -> JsonAccounts:
    """The account use cases, driven by JSON bodies through the HTTP edge's parsers."""
    return JsonAccounts(fx_account_service)


@pytest.fixture
def fx_products(fx_deps: Deps) -> JsonProducts:
    """The product use cases, driven by JSON bodies through the HTTP edge's parsers."""
    return JsonProducts(product_service(fx_deps))


async def register(accounts: JsonAccounts, email: str, **extra: Any) -> User:
    issued = await accounts.register({"email": email, "password": PASSWORD, **extra})
    return issued.user


@pytest.fixture
async def fx_user(fx_accounts: JsonAccounts) -> User:
    """A confirmed seller inside the 7-day trial."""
    await register(fx_accounts, "seller@example.com")
    return await fx_accounts.confirm_email("seller@example.com")


@pytest.fixture
async def fx_other_user(fx_accounts: JsonAccounts) -> User:
    await register(fx_accounts, "other@example.com")
    return await fx_accounts.confirm_email("other@example.com")


@pytest.fixture
async def fx_unconfirmed_user(fx_accounts: JsonAccounts) -> User:
    return await register(fx_accounts, "new@example.com")
