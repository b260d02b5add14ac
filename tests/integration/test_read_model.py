"""The product read model: every write path leaves the stored document equal to a fresh one.

Runs on the real SQLAlchemy adapter (SQLite and PostgreSQL) through the embedded core, so the
documents are written by the same commit hook the server uses. After any sequence of writes
(create, prepare, upload and finalize, processing, reprocess, image flags, order and
deletion, a write that bypasses the adapter), the stored document of the product is
byte-equal to one rendered now from the tables, and a read never serves a stale one; the
list page, which the page cache keeps between writes, is read after every write and shows
it at once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from benchmarks.dataset import photo, seller, upload_product
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reseller_adapters.persistence.sqlalchemy.tables import product_documents, products
from reseller_core.commands import PrepareUploads, SellerFields
from reseller_core.domain.listing_query import parse_list_query
from reseller_core.domain.uploads import UploadIntent
from reseller_core.testing import RecordingVideoRenderer
from reseller_entrypoints.embedded import ResellerCore

ACTIONS = (
    "prepare",
    "finalize",
    "process",
    "reprocess",
    "bypass",
    "bypass_document",
    "rebuild",
    "rename_tab",
    "delete_tab",
    "image_storefront",
    "order_images",
    "delete_image",
    "lifestyle",
    "video",
    "delete_video",
)
Scenario = Callable[[ResellerCore], Awaitable[None]]


async def _open(url: str, data_dir: str) -> ResellerCore:
    core = await ResellerCore.open(url, data_dir, run_worker=False)
    # Videos without encoding one: the document shows the video and its run either way.
    core.container.services.video_runner._renderer = RecordingVideoRenderer()
    return core


async def stored_and_fresh(core: ResellerCore, product_id: str) -> tuple[bytes | None, bytes]:
    """The stored document (None if absent) and the document rendered now from the tables."""
    database = core.container.database
    read_model = database.read_model
    async with core.container.deps.reader() as uow:
        stored = (
            await uow.execute(
                sa.select(product_documents.c.body).where(
                    product_documents.c.product_id == product_id
                )
            )
        ).scalar()
        (view,) = await read_model.views(uow, [product_id])
    return stored, read_model._renderer.render(view)


async def served(
    core: ResellerCore, user: Any, token: str, product_id: str
) -> tuple[bytes, list[bytes]]:
    """What the read path answers for the product and for the first list page.

    Both are read as ``GET /products/:id`` and ``GET /products`` read them (the token and
    the document, or the page, in one lookup).
    """
    from reseller_entrypoints.http.documents import PayloadRenderer

    reads = core.container.services.reads
    renderer = PayloadRenderer(core.container.deps.storage.public_url)

    def as_bytes(entry: Any) -> bytes:
        return entry if isinstance(entry, bytes) else renderer.render(entry)

    caller, one = await reads.product(f"Bearer {token}", product_id)
    assert caller.context.user.id == user.id
    lister, page = await reads.product_page(
        f"Bearer {token}", parse_list_query({"page_size": "100"})
    )
    assert lister.context.user.id == user.id
    return as_bytes(one.entry), [as_bytes(entry) for entry in page.entries]


async def _latest_run_id(core: ResellerCore, product_id: str) -> str | None:
    async with core.container.deps.reader() as uow:
        product = await uow.products.get_by_id(product_id)
    return product.latest_run_id if product else None


async def run_actions(core: ResellerCore, actions: list[str]) -> None:
    user, token = await seller(core, f"read-model-{secrets.token_hex(4)}@example.test")
    tab = await core.create_product_tab(user, "Denim")
    product_id, image_ids = await upload_product(
        core, user, {"title": "Denim", "product_tab_id": tab.id}, [photo(1)]
    )
    pending = list(image_ids)
    for action in actions:
        try:
            if action == "prepare":
                intent = UploadIntent(
                    filename="b.jpg", content_type="image/jpeg", byte_size=len(photo(2))
                )
                created = await core.container.services.products.prepare_uploads(
                    user, PrepareUploads(product_id=product_id, uploads=(intent,))
                )
                for instruction in created.upload_instructions:
                    await core.upload(instruction, photo(2))
                    pending.append(instruction.image_id)
            elif action == "finalize":
                await core.finalize_uploads(user, product_id, pending)
                pending = []
            elif action == "process":
                run_id = await _latest_run_id(core, product_id)
                if run_id is not None:
                    await core.container.services.pipeline.process(run_id)
            elif action == "reprocess":
                await core.reprocess(user, product_id)
            elif action == "bypass":
                # A write that does not go through the adapter's repositories.
                async with core.container.deps.uow() as uow:
                    await uow.execute(
                        sa.update(products)
                        .where(products.c.id == product_id)
                        .values(title="Edited elsewhere", version=products.c.version + 1)
                    )
                    await uow.commit()
            elif action == "bypass_document":
                # A manual fix that drops the stored document (the next read rebuilds it).
                async with core.container.deps.uow() as uow:
                    await uow.execute(
                        sa.delete(product_documents).where(
                            product_documents.c.product_id == product_id
                        )
                    )
                    await uow.commit()
            elif action == "patch":
                await core.update_product(
                    user,
                    product_id,
                    SellerFields(title=f"Denim {secrets.token_hex(2)}", tags=("a", "b")),
                    marketplace_external_urls={"ebay": "https://www.ebay.com/itm/1"},
                )
            elif action == "publish":
                await core.update_product(user, product_id, storefront_enabled=True)
            elif action in ("mark_sold", "archive", "unarchive"):
                await getattr(core, action)(user, product_id)
            elif action == "rename_tab":
                await core.update_product_tab(user, tab.id, name=f"Denim {secrets.token_hex(2)}")
            elif action == "delete_tab":
                await core.delete_product_tab(user, tab.id)
            elif action in ("image_storefront", "order_images", "delete_image"):
                view = await core.product(user, product_id)
                ids = [image.id for image in sorted(view.images, key=lambda i: i.id)]
                if not ids:
                    continue
                if action == "image_storefront":
                    await core.set_image_storefront(
                        user, product_id, ids[-1], visible=True, position=len(ids)
                    )
                elif action == "order_images":
                    await core.order_storefront_images(user, product_id, ids[::-1])
                else:
                    await core.delete_image(user, product_id, ids[0])
                    pending = [image_id for image_id in pending if image_id != ids[0]]
            elif action == "lifestyle":
                generated = await core.generate_lifestyle_images(user, product_id)
                await core.container.services.lifestyle_runner.process(generated.run.id)
            elif action == "video":
                queued = await core.generate_marketplace_video(user, product_id, "ebay")
                await core.container.services.video_runner.process(queued.run.id)
            elif action == "delete_video":
                for video in (await core.product(user, product_id)).videos:
                    await core.delete_video(user, product_id, video.id)
            elif action == "rebuild":
                await core.container.services.reads.rebuild_all()
        except Exception as error:  # a refused action (wrong state) changes nothing
            if type(error).__module__ != "reseller_core.errors":
                raise
        # The list page (kept in the page cache between writes) shows every write at once.
        _, page = await served(core, user, token, product_id)
        _, fresh = await stored_and_fresh(core, product_id)
        assert page == [fresh], action
    one, page = await served(core, user, token, product_id)
    stored, fresh = await stored_and_fresh(core, product_id)
    # Reads never serve a stale document...
    assert one == fresh
    assert page == [fresh]
    # ...and once a read or a write has passed, the stored one is the fresh one.
    await core.container.services.reads.repair([product_id])
    stored, fresh = await stored_and_fresh(core, product_id)
    assert stored == fresh
    # An unchanged list with fresh documents is served from the page cache.
    cache = core.container.database.read_model.page_cache
    assert cache is not None
    await served(core, user, token, product_id)
    hits = cache.hits
    _, page = await served(core, user, token, product_id)
    assert cache.hits == hits + 1
    assert page == [fresh]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=st.lists(st.sampled_from(ACTIONS), max_size=7))
def test_any_sequence_of_writes_leaves_the_document_fresh(
    fx_engine_url: Callable[[str], str], actions: list[str]
) -> None:
    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as data_dir:
            core = await _open(fx_engine_url(data_dir), data_dir)
            try:
                await run_actions(core, actions)
            finally:
                await core.close()

    asyncio.run(scenario())


def test_every_write_path_in_one_sequence(fx_engine_url: Callable[[str], str]) -> None:
    """The whole pipeline end to end, so each stage's commit has written the document."""

    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as data_dir:
            core = await _open(fx_engine_url(data_dir), data_dir)
            try:
                await run_actions(
                    core,
                    [
                        *("finalize", "process", "prepare", "finalize", "reprocess", "process"),
                        *("rename_tab", "delete_tab"),
                        *("lifestyle", "video", "image_storefront", "delete_video"),
                        *("video", "order_images", "delete_image"),
                    ],
                )
            finally:
                await core.close()

    asyncio.run(scenario())


def test_a_new_public_base_url_makes_documents_stale_and_reads_rebuild_them(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/reseller.db"

    async def scenario() -> None:
        core = await _open(url, str(tmp_path))
        try:
            user, token = await seller(core, "base-url@example.test")
            product_id, _ = await upload_product(core, user, {"title": "Coat"}, [photo(3)])
            before, _ = await stored_and_fresh(core, product_id)
            assert before is not None and b"http://127.0.0.1:8000" in before
        finally:
            await core.close()
        moved = await ResellerCore.open(
            url, str(tmp_path), run_worker=False, public_base_url="https://cdn.example.test"
        )
        try:
            one, _ = await served(moved, user, token, product_id)
            assert b"https://cdn.example.test" in one
            assert b"http://127.0.0.1:8000" not in one
            assert await moved.container.services.reads.rebuild_all() == 1
            stored, fresh = await stored_and_fresh(moved, product_id)
            assert stored == fresh == one
        finally:
            await moved.close()

    asyncio.run(scenario())


def test_a_document_that_fails_to_build_is_answered_from_the_tables(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/reseller.db"

    async def scenario() -> None:
        core = await _open(url, str(tmp_path))
        try:
            user, token = await seller(core, "broken@example.test")
            renderer = core.container.database.read_model._renderer
            working = renderer.render

            def broken(view: Any) -> bytes:
                raise ValueError("cannot render")

            renderer.render = broken
            with caplog.at_level(logging.ERROR):
                product_id, _ = await upload_product(core, user, {"title": "Hat"}, [photo(4)])
            assert "could not be built" in caplog.text
            renderer.render = working
            stored, _ = await stored_and_fresh(core, product_id)
            assert stored is None  # the write committed, without a document
            one, _ = await served(core, user, token, product_id)
            _, fresh = await stored_and_fresh(core, product_id)
            assert one == fresh
        finally:
            await core.close()

    asyncio.run(scenario())


def test_rebuild_read_models_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reseller_entrypoints import cli

    url = f"sqlite+aiosqlite:///{tmp_path}/reseller.db"

    async def seed() -> str:
        core = await _open(url, str(tmp_path))
        try:
            user, _ = await seller(core, "cli@example.test")
            product_id, _ = await upload_product(core, user, {"title": "Scarf"}, [photo(5)])
            async with core.container.deps.uow() as uow:
                await uow.execute(sa.delete(product_documents))
                await uow.commit()
            return product_id
        finally:
            await core.close()

    product_id = asyncio.run(seed())
    monkeypatch.setenv("RESELLER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RESELLER_DATABASE_URL", url)
    assert cli.main(["rebuild-read-models"]) == 0

    async def check() -> None:
        core = await _open(url, str(tmp_path))
        try:
            stored, fresh = await stored_and_fresh(core, product_id)
            assert stored == fresh
        finally:
            await core.close()

    asyncio.run(check())


def test_the_product_lookup_answers_401_before_404_and_never_a_foreign_document(
    fx_engine_url: Callable[[str], str],
) -> None:
    """Token and document come from one statement: each way it can miss is told apart."""
    from reseller_core.errors import NotFound, Unauthorized

    async def scenario() -> None:
        with tempfile.TemporaryDirectory() as data_dir:
            core = await _open(fx_engine_url(data_dir), data_dir)
            try:
                reads = core.container.services.reads
                owner, owner_token = await seller(core, "owner@example.test")
                _, other_token = await seller(core, "other@example.test")
                product_id, _ = await upload_product(core, owner, {"title": "Vest"}, [photo(6)])
                caller, found = await reads.product(f"Bearer {owner_token}", product_id)
                assert caller.context.user.id == owner.id
                stored, fresh = await stored_and_fresh(core, product_id)
                assert found.entry == stored == fresh and found.stale == ()
                with pytest.raises(NotFound):
                    await reads.product(f"Bearer {other_token}", product_id)
                with pytest.raises(NotFound):
                    await reads.product(f"Bearer {other_token}", "01" + "0" * 24)
                with pytest.raises(NotFound):
                    await reads.product(f"Bearer {other_token}", "not-an-id")
                for header in (None, "Bearer nope", f"Basic {owner_token}"):
                    for target in (product_id, "not-an-id"):
                        with pytest.raises(Unauthorized):
                            await reads.product(header, target)
                accounts = core.container.services.accounts
                await accounts.revoke(caller.context)
                with pytest.raises(Unauthorized):
                    await reads.product(f"Bearer {owner_token}", product_id)
            finally:
                await core.close()

    asyncio.run(scenario())


def test_a_new_payload_field_makes_every_stored_document_stale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fingerprint covers the payload's schema: documents stored before a field was
    added (a product's ``videos``, say) are rebuilt, never served without it."""
    import msgspec

    from reseller_entrypoints.http import documents
    from reseller_entrypoints.http.schemas import ProductBody

    def public_url(key: str) -> str:
        return f"https://files.example.test/{key}"

    before = documents.PayloadRenderer(public_url).fingerprint
    assert documents.PayloadRenderer(public_url).fingerprint == before

    class Extended(ProductBody, frozen=True, kw_only=True):
        added: int

    monkeypatch.setattr(documents, "ProductBody", Extended)
    assert documents.PayloadRenderer(public_url).fingerprint != before
    assert msgspec.json.schema(Extended) != msgspec.json.schema(ProductBody)
