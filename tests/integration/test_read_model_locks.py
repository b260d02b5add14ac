"""PostgreSQL: two transactions that change one product rebuild its document in turn.

``SqlProductReadModel.refresh`` locks the product rows it rebuilds (``FOR UPDATE``), except
the rows its transaction has already inserted or updated: an UPDATE's row lock keeps out
another writer's UPDATE and ``FOR UPDATE`` alike. Whatever the two transactions write (the
product row or only its run) and in whichever order they commit, the stored document ends
equal to one rendered from the committed rows.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from benchmarks.dataset import photo, seller, upload_product

from reseller_core.domain.artifacts import ArtifactStatus, DescriptionDraft
from reseller_core.domain.runs import ProcessingRun
from reseller_core.ports import UnitOfWork
from reseller_entrypoints.embedded import ResellerCore
from tests.integration.conftest import core_on
from tests.integration.test_read_model import stored_and_fresh

pytestmark = pytest.mark.postgres

Write = Callable[[UnitOfWork, str, str], Awaitable[None]]


def _draft(title: str) -> DescriptionDraft:
    from datetime import UTC, datetime

    now = datetime(2026, 12, 4, tzinfo=UTC)
    return DescriptionDraft(
        id=secrets.token_hex(13).upper()[:26],
        status=ArtifactStatus.GENERATED,
        provider="test",
        model="test",
        suggested_title=title,
        short_description="short",
        long_description="long",
        key_features=(),
        seo_keywords=(),
        missing_details_warning=None,
        created_at=now,
        updated_at=now,
    )


async def _product_row(uow: UnitOfWork, product_id: str, _run_id: str) -> None:
    """A write to the product's own row (it holds the row until it ends)."""
    await uow.products.save_description_draft(product_id, _draft(secrets.token_hex(4)))


async def _run_only(uow: UnitOfWork, _product_id: str, run_id: str) -> None:
    """A write to the product's run only (the document shows it; the product row is not
    touched, so the rebuild locks it)."""
    run = await uow.runs.get(run_id)
    assert run is not None
    changed: ProcessingRun = msgspec.structs.replace(run, step=f"step-{secrets.token_hex(3)}")
    await uow.runs.update(changed)


WRITES: dict[str, Write] = {"product_row": _product_row, "run_only": _run_only}


async def _product_with_run(core: ResellerCore) -> tuple[str, str]:
    user, _ = await seller(core, f"locks-{secrets.token_hex(4)}@example.test")
    product_id, image_ids = await upload_product(
        core, user, {"title": "Wool coat", "price": "40.00"}, [photo(1)]
    )
    await core.finalize_uploads(user, product_id, image_ids)
    async with core.container.deps.reader() as uow:
        product = await uow.products.get_by_id(product_id)
    assert product is not None and product.latest_run_id is not None
    return product_id, product.latest_run_id


@pytest.mark.parametrize("first", sorted(WRITES))
@pytest.mark.parametrize("second", sorted(WRITES))
def test_overlapping_writers_of_one_product_leave_its_document_fresh(
    fx_postgres_url: str, first: str, second: str
) -> None:
    async def scenario() -> None:
        async with core_on(lambda _dir: fx_postgres_url) as core:
            product_id, run_id = await _product_with_run(core)
            uow_factory = core.container.deps.uow
            holder: Any = uow_factory()
            await holder.__aenter__()
            try:
                await WRITES[first](holder, product_id, run_id)

                async def other() -> None:
                    async with uow_factory() as uow:
                        await WRITES[second](uow, product_id, run_id)
                        await uow.commit()

                racing = asyncio.create_task(other())
                await asyncio.sleep(0.3)
                if first == "product_row":
                    # The first holds the product row: the second's UPDATE or its
                    # rebuild's FOR UPDATE waits for it.
                    assert not racing.done()
                await holder.commit()
            finally:
                await holder.__aexit__(None, None, None)
            await asyncio.wait_for(racing, 10)
            stored, fresh = await stored_and_fresh(core, product_id)
            assert stored == fresh

    asyncio.run(scenario())


def test_a_rebuild_locks_only_rows_its_transaction_has_not_written(fx_postgres_url: str) -> None:
    async def scenario() -> None:
        async with core_on(lambda _dir: fx_postgres_url) as core:
            product_id, run_id = await _product_with_run(core)
            database = core.container.database
            seen: list[str] = []

            def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
                seen.append(statement)

            sa.event.listen(database.engine.sync_engine, "before_cursor_execute", on_execute)
            try:
                locks: dict[str, int] = {}
                for name, write in sorted(WRITES.items()):
                    seen.clear()
                    async with core.container.deps.uow() as uow:
                        await write(uow, product_id, run_id)
                        await uow.commit()
                    locks[name] = sum("FOR UPDATE" in statement for statement in seen)
            finally:
                sa.event.remove(database.engine.sync_engine, "before_cursor_execute", on_execute)
            assert locks == {"product_row": 0, "run_only": 1}
            stored, fresh = await stored_and_fresh(core, product_id)
            assert stored == fresh

    asyncio.run(scenario())
