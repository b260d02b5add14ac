"""Export → import through the embedding API on real adapters: SQLite + local storage
(in-process queue) and PostgreSQL + S3 (moto server), each ending in the read model."""

from __future__ import annotations

import asyncio
import io
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from reseller_core.domain.images import ImageKind
from reseller_core.domain.users import User
from reseller_core.errors import TooManyActiveJobs
from reseller_entrypoints.embedded import ResellerCore
from reseller_entrypoints.settings import load_settings
from tests.services import MotoServer
from tests.transfers.seeding import SeedImage, seed_product


async def _settled(read: Any, attempts: int = 400) -> Any:
    for _ in range(attempts):
        value = await read()
        if value.status not in ("queued", "running"):
            return value
        await asyncio.sleep(0.05)
    raise TimeoutError("job did not finish")


async def _round_trip(core: ResellerCore) -> None:
    suffix = uuid.uuid4().hex[:8]
    owner = await _user(core, f"owner-{suffix}@example.com")
    other = await _user(core, f"other-{suffix}@example.com")
    container = core.container
    seeded = await seed_product(
        container.deps.uow,
        container.deps.storage,
        container.deps.ids,
        container.deps.clock.now(),
        owner.id,
        sku="SKU-1",
        title="Vintage lamp «ünïcode»",
        images=(SeedImage(), SeedImage(kind=ImageKind.WHITE_BACKGROUND, fmt="WEBP", filename=None)),
        with_artifacts=True,
    )
    view = await core.request_export(owner, name="All")
    export = await _settled(lambda: _export_status(core, owner, view.export.id))
    assert export.status == "completed", export.error_message
    chunks = [chunk async for chunk in core.read_export(await core.export(owner, export.id))]
    archive = b"".join(chunks)
    assert zipfile.ZipFile(io.BytesIO(archive)).namelist()[:2] == ["Products.xlsx", "manifest.json"]

    record = await core.request_import(other, "all.zip", archive)
    done = await _settled(lambda: core.import_record(other, record.id))
    assert done.status == "completed", done.error_message
    assert done.imported_products == 1 and done.failures == ()
    (new_id,) = done.created_product_ids
    product = await core.product(other, new_id)
    assert product.product.title == seeded.title and product.product.sku == "SKU-1"
    assert sorted(i.kind for i in product.images) == ["original", "white_background"]
    assert product.description_draft is not None
    listed = await core.products(other)
    assert [item.product.id for item in listed.page.products] == [new_id]


async def _export_status(core: ResellerCore, user: User, export_id: str) -> Any:
    return (await core.export(user, export_id)).export


async def _user(core: ResellerCore, email: str) -> User:
    issued = await core.register(email, "correct horse battery")
    await core.confirm_email(email)
    return await core.authenticate(issued.token)


async def test_round_trip_on_sqlite_and_local_storage(tmp_path: Path) -> None:
    async with await ResellerCore.open(
        f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", str(tmp_path)
    ) as core:
        await _round_trip(core)


@pytest.mark.postgres
async def test_round_trip_on_postgres_and_s3(
    tmp_path: Path, fx_postgres_url: str, fx_moto: MotoServer
) -> None:
    bucket = fx_moto.create_bucket()
    settings = load_settings(
        {**fx_moto.env(bucket), "RESELLER_DATABASE_URL": fx_postgres_url},
        data_dir=str(tmp_path),
    )
    async with await ResellerCore.open(settings=settings) as core:
        await _round_trip(core)


async def _race(core: ResellerCore) -> None:
    """Six concurrent export and import requests of one user: two of each kind win."""
    suffix = uuid.uuid4().hex[:8]
    user = await _user(core, f"racer-{suffix}@example.com")
    container = core.container
    await seed_product(
        container.deps.uow,
        container.deps.storage,
        container.deps.ids,
        container.deps.clock.now(),
        user.id,
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("manifest.json", '{"products": []}')
    exports = await asyncio.gather(
        *(core.request_export(user) for _ in range(6)), return_exceptions=True
    )
    imports = await asyncio.gather(
        *(core.request_import(user, "a.zip", archive.getvalue()) for _ in range(6)),
        return_exceptions=True,
    )
    for results in (exports, imports):
        refused = [r for r in results if isinstance(r, TooManyActiveJobs)]
        accepted = [r for r in results if not isinstance(r, BaseException)]
        assert (len(accepted), len(refused)) == (2, 4), results


@pytest.mark.postgres
async def test_at_most_two_active_jobs_under_concurrency_on_postgres(
    tmp_path: Path, fx_postgres_url: str
) -> None:
    # The worker is not started: the accepted jobs stay queued, i.e. active.
    async with await ResellerCore.open(fx_postgres_url, str(tmp_path), run_worker=False) as core:
        await _race(core)


async def test_at_most_two_active_jobs_under_concurrency_on_sqlite(tmp_path: Path) -> None:
    async with await ResellerCore.open(
        f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", str(tmp_path), run_worker=False
    ) as core:
        await _race(core)
