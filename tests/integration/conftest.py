"""The HTTP app over in-memory fakes: ``build_container`` with every port overridden.

Tests drive the real Litestar app (routing, DI, error handlers, middleware) and the real use
cases; only the ports are fakes, so a test can move the clock, inspect sent mail or make
storage fail.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_adapters.ai.offline import OfflineAIProvider
from reseller_adapters.images.offline import OfflineImageEditor
from reseller_adapters.marketplaces.builtin import builtin_marketplaces
from reseller_core.services.config import CoreConfig
from reseller_core.testing import (
    FixedClock,
    MemoryDatabase,
    MemoryMailer,
    MemoryObjectStorage,
    PlainPasswordHasher,
    RecordingRateLimiter,
    RecordingTaskQueue,
    SequentialIds,
    memory_uow_factory,
)
from reseller_entrypoints.bootstrap import Container, build_container
from reseller_entrypoints.embedded import ResellerCore
from reseller_entrypoints.http import create_app
from reseller_entrypoints.settings import Settings

ALLOWED_ORIGIN = "https://app.reseller.test"
TRUSTED_PROXY = "10.0.0.1"
PASSWORD = "correct horse battery"


class MemoryDatabaseHandle:
    """What the Container expects of its database (migrate, check, dispose), over memory."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self.healthy = True
        self.migrations = 0

    async def migrate(self) -> None:
        self.migrations += 1

    async def check(self) -> None:
        if not self.healthy:
            raise ConnectionError("database is down")

    async def dispose(self) -> None:
        return None


@dataclass
class Fakes:
    clock: FixedClock
    ids: SequentialIds
    storage: MemoryObjectStorage
    queue: RecordingTaskQueue
    limiter: RecordingRateLimiter
    mailer: MemoryMailer
    database: MemoryDatabaseHandle


@pytest.fixture
def fx_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=str(tmp_path / "data"),
        allowed_origins=(ALLOWED_ORIGIN,),
        trusted_proxies=(TRUSTED_PROXY,),
        core=CoreConfig(pricing_url="https://reseller.test/pricing"),
    )


@pytest.fixture
def fx_fakes() -> Fakes:
    clock = FixedClock()
    return Fakes(
        clock=clock,
        ids=SequentialIds(),
        storage=MemoryObjectStorage(public_base_url="https://files.example.test"),
        queue=RecordingTaskQueue(),
        limiter=RecordingRateLimiter(clock),
        mailer=MemoryMailer(),
        database=MemoryDatabaseHandle(MemoryDatabase()),
    )


@pytest.fixture
async def fx_container(fx_settings: Settings, fx_fakes: Fakes) -> Container:
    return await build_container(
        fx_settings,
        database=fx_fakes.database,
        uow=memory_uow_factory(fx_fakes.database.db),
        storage=fx_fakes.storage,
        queue=fx_fakes.queue,
        ai=OfflineAIProvider(),
        image_editor=OfflineImageEditor(),
        rate_limiter=fx_fakes.limiter,
        mailer=fx_fakes.mailer,
        hasher=PlainPasswordHasher(),
        clock=fx_fakes.clock,
        ids=fx_fakes.ids,
        marketplaces=builtin_marketplaces(fx_settings.core.supported_marketplaces),
    )


@pytest.fixture
def fx_app(fx_container: Container) -> Litestar:
    return create_app(container=fx_container)


@pytest.fixture
async def fx_client(fx_app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=fx_app) as client:
        yield client


@dataclass
class Account:
    email: str
    token: str
    user_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(
    client: AsyncTestClient[Litestar], email: str, *, headers: dict[str, str] | None = None
) -> Account:
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    return Account(email=email, token=data["token"], user_id=data["user"]["id"])


@pytest.fixture
async def fx_unconfirmed(fx_client: AsyncTestClient[Litestar]) -> Account:
    return await register(fx_client, "pending@example.com")


@pytest.fixture
async def fx_account(fx_client: AsyncTestClient[Litestar], fx_container: Container) -> Account:
    """A registered user with a confirmed e-mail address (past the write gate)."""
    account = await register(fx_client, "seller@example.com")
    await fx_container.services.accounts.confirm_email(account.email)
    return account


@pytest.fixture
async def fx_other_account(
    fx_client: AsyncTestClient[Litestar], fx_container: Container
) -> Account:
    account = await register(fx_client, "other@example.com")
    await fx_container.services.accounts.confirm_email(account.email)
    return account


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fx_engine_url(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Each SQL engine in turn: data directory → database URL (SQLite: a file there, made on
    first use; PostgreSQL: the session's migrated database, whatever the directory)."""
    if request.param == "sqlite":
        return lambda data_dir: f"sqlite+aiosqlite:///{data_dir}/reseller.db"
    url = str(request.getfixturevalue("fx_postgres_url"))
    return lambda _data_dir: url


@contextlib.asynccontextmanager
async def core_on(engine_url: Callable[[str], str]) -> AsyncIterator[ResellerCore]:
    """An embedded core (no worker) on ``fx_engine_url``'s engine and a temporary data
    directory, closed when the block ends."""
    with tempfile.TemporaryDirectory() as data_dir:
        core = await ResellerCore.open(engine_url(data_dir), data_dir, run_worker=False)
        try:
            yield core
        finally:
            await core.close()
