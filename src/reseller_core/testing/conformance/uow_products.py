"""Unit-of-work conformance: products, their AI artifacts, views and images."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import msgspec
import pytest

from reseller_core.domain.images import ImageStatus
from reseller_core.domain.products import ProductSource, ProductStatus
from reseller_core.domain.runs import RunStatus, Step
from reseller_core.errors import Conflict
from reseller_core.ports.unit_of_work import (
    UnitOfWork,
    UnitOfWorkFactory,
)
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import (
    T0,
    assert_utc,
    build_draft,
    build_image,
    build_listing,
    build_product,
    build_research,
    build_run,
    build_tab,
    new_id,
)


class ProductConformance(UnitOfWorkSuiteBase):
    """Products with their artifacts, the assembled view, and product images."""

    async def test_product_round_trip_and_ownership(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        tab = build_tab(user)
        await self.in_uow(uow_factory, lambda uow: uow.tabs.add(tab))
        product = await self.given_product(
            uow_factory,
            user,
            status=ProductStatus.READY,
            source=ProductSource.MOBILE,
            title="Nike Air Max 90",
            brand="Nike",
            category="Sneakers",
            condition="used_good",
            color="White",
            size="US 9",
            material="Mesh",
            price=Decimal("9999999999.99"),
            cost=Decimal("40.10"),
            sku="NK-AM90-001",
            tags=("nike", "air-max"),
            notes="Measured and cleaned",
            product_tab_id=tab.id,
            storefront_enabled=True,
            storefront_published_at=T0 + timedelta(seconds=5),
            ai_summary="visible air unit",
            ai_confidence=0.91,
            sold_at=None,
            archived_at=T0 + timedelta(hours=1),
            status_before_archive=ProductStatus.REVIEW,
        )
        stored = await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
        assert stored == product
        assert stored is not None
        assert_utc(stored.storefront_published_at)
        assert (
            await self.read(uow_factory, lambda uow: uow.products.get_by_id(product.id)) == product
        )
        assert (
            await self.read(uow_factory, lambda uow: uow.products.get(stranger.id, product.id))
            is None
        )
        assert await self.read(uow_factory, lambda uow: uow.products.get(user.id, new_id())) is None
        assert (
            await self.read(
                uow_factory, lambda uow: uow.products.find_by_sku(user.id, "NK-AM90-001")
            )
            == product
        )
        assert (
            await self.read(
                uow_factory, lambda uow: uow.products.find_by_sku(stranger.id, "NK-AM90-001")
            )
            is None
        )

    async def test_sku_is_unique_per_user(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        await self.given_product(uow_factory, user, sku="SKU-1")
        await self.given_product(uow_factory, stranger, sku="SKU-1")  # another user: fine
        await self.given_product(uow_factory, user, sku=None)
        await self.given_product(uow_factory, user, sku=None)  # many products without SKU
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.products.add(build_product(user, sku="SKU-1"))

    async def test_update_bumps_version_and_rejects_stale_writes(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user, title="Old")
        later = T0 + timedelta(hours=1)
        edited = msgspec.structs.replace(
            product, title="New", tags=("a", "b"), price=Decimal("12.30"), updated_at=later
        )
        stored = await self.in_uow(
            uow_factory, lambda uow: uow.products.update(edited, expected_version=0)
        )
        assert stored == msgspec.structs.replace(edited, version=1)
        with pytest.raises(Conflict):
            async with uow_factory() as uow:
                await uow.products.update(
                    msgspec.structs.replace(product, title="Lost"), expected_version=0
                )
        assert (
            await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
            == stored
        )
        again = await self.in_uow(
            uow_factory,
            lambda uow: uow.products.update(
                msgspec.structs.replace(stored, title="Newer"), expected_version=1
            ),
        )
        assert again.version == 2
        assert again.title == "Newer"

    async def test_concurrent_updates_one_wins(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)

        async def edit(title: str) -> str:
            try:
                async with uow_factory() as uow:
                    current = await uow.products.get(user.id, product.id)
                    assert current is not None
                    await uow.products.update(
                        msgspec.structs.replace(product, title=title), expected_version=0
                    )
                    await uow.commit()
            except Conflict:
                return "conflict"
            return "ok"

        outcomes = await asyncio.gather(edit("A"), edit("B"))
        assert sorted(outcomes) == ["conflict", "ok"]
        stored = await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
        assert stored is not None
        assert stored.version == 1

    async def test_set_status_if(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user, status=ProductStatus.PROCESSING)
        now = T0 + timedelta(minutes=3)
        assert not await self.in_uow(
            uow_factory,
            lambda uow: uow.products.set_status_if(
                product.id, ProductStatus.DRAFT, ProductStatus.READY, now
            ),
        )
        assert await self.in_uow(
            uow_factory,
            lambda uow: uow.products.set_status_if(
                product.id, ProductStatus.PROCESSING, ProductStatus.REVIEW, now
            ),
        )
        stored = await self.read(uow_factory, lambda uow: uow.products.get(user.id, product.id))
        assert stored == msgspec.structs.replace(
            product, status=ProductStatus.REVIEW, updated_at=now, version=1
        )

    async def test_view_assembles_the_product(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        stranger = await self.given_user(uow_factory)
        tab = build_tab(user, "Shoes", 3)
        product = build_product(user, product_tab_id=tab.id, title="Nike", price=Decimal("1.50"))
        images = [build_image(product, 2), build_image(product, 1), build_image(product, 1)]
        draft, research = build_draft(), build_research()
        listings = [
            build_listing("poshmark"),
            build_listing(
                "ebay",
                external_url="https://www.ebay.com/itm/1",
                external_url_added_at=T0 + timedelta(days=2, microseconds=5),
            ),
            build_listing("depop", generated_price_suggestion=None),
        ]
        first_run = build_run(product)
        latest_run = build_run(
            product,
            status=RunStatus.COMPLETED,
            step=Step.MARKETPLACE_LISTINGS_GENERATED,
            started_at=T0 + timedelta(minutes=1),
            finished_at=T0 + timedelta(minutes=2),
            payload={"pipeline_status": "recognized", "review_required": False, "n": [1, 2]},
            attempts=1,
            created_at=T0 + timedelta(minutes=1),
        )

        async def setup(uow: UnitOfWork) -> None:
            await uow.tabs.add(tab)
            await uow.products.add(product)
            await uow.images.add_many(images)
            await uow.products.save_description_draft(product.id, draft)
            await uow.products.save_price_research(product.id, research)
            await uow.products.save_listings(product.id, listings)
            await uow.runs.add(first_run)
            await uow.runs.add(latest_run)

        await self.in_uow(uow_factory, setup)
        view = await self.read(uow_factory, lambda uow: uow.products.view(user.id, product.id))
        assert view is not None
        assert view.product == msgspec.structs.replace(product, latest_run_id=latest_run.id)
        assert view.tab == tab
        assert list(view.images) == sorted(images, key=lambda image: (image.position, image.id))
        assert view.description_draft == draft
        assert view.price_research == research
        assert [listing.marketplace for listing in view.marketplace_listings] == [
            "depop",
            "ebay",
            "poshmark",
        ]
        assert sorted(view.marketplace_listings, key=lambda x: x.id) == sorted(
            listings, key=lambda x: x.id
        )
        assert view.latest_run == latest_run
        assert view.price_research is not None
        assert view.price_research.suggested_max_price == Decimal("9999999999.99")
        assert_utc(view.price_research.created_at)
        artifacts = await self.read(uow_factory, lambda uow: uow.products.artifacts(product.id))
        assert artifacts == (draft, research, list(view.marketplace_listings))
        assert (
            await self.read(uow_factory, lambda uow: uow.products.view(stranger.id, product.id))
            is None
        )

    async def test_view_of_a_bare_product(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        view = await self.read(uow_factory, lambda uow: uow.products.view(user.id, product.id))
        assert view is not None
        assert view.product == product
        assert (view.tab, view.images, view.latest_run) == (None, (), None)
        assert (view.description_draft, view.price_research, view.marketplace_listings) == (
            None,
            None,
            (),
        )
        assert await self.read(uow_factory, lambda uow: uow.products.artifacts(product.id)) == (
            None,
            None,
            [],
        )

    async def test_save_listings_replaces_them(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        await self.in_uow(
            uow_factory,
            lambda uow: uow.products.save_listings(
                product.id, [build_listing("ebay"), build_listing("depop")]
            ),
        )
        mercari = build_listing("mercari")
        await self.in_uow(
            uow_factory, lambda uow: uow.products.save_listings(product.id, [mercari])
        )
        _, _, listings = await self.read(
            uow_factory, lambda uow: uow.products.artifacts(product.id)
        )
        assert listings == [mercari]

    # -- images --------------------------------------------------------------------------------

    async def test_images_add_update_delete(self, uow_factory: UnitOfWorkFactory) -> None:
        user = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, user)
        other = await self.given_product(uow_factory, user)
        images = [
            build_image(product, 3),
            build_image(product, 1, source_image_ids=("a", "b"), width=800, byte_size=2**33),
            build_image(product, 2),
        ]
        elsewhere = build_image(other, 1)

        async def setup(uow: UnitOfWork) -> None:
            await uow.images.add_many(images)
            await uow.images.add_many([elsewhere])
            await uow.images.add_many([])

        await self.in_uow(uow_factory, setup)
        listed = await self.read(uow_factory, lambda uow: uow.images.for_product(product.id))
        assert listed == [images[1], images[2], images[0]]

        later = T0 + timedelta(hours=1)
        updated = [
            msgspec.structs.replace(
                images[0],
                processing_status=ImageStatus.READY,
                width=640,
                height=480,
                checksum="abc",
                seller_approved=True,
                approved_at=later,
                storefront_visible=True,
                storefront_position=1,
                updated_at=later,
            ),
            msgspec.structs.replace(images[2], position=0, updated_at=later),
        ]

        async def change(uow: UnitOfWork) -> None:
            await uow.images.update_many(updated)
            await uow.images.delete_many([images[1].id])
            await uow.images.update_many([])
            await uow.images.delete_many([])

        await self.in_uow(uow_factory, change)
        listed = await self.read(uow_factory, lambda uow: uow.images.for_product(product.id))
        assert listed == [updated[1], updated[0]]
        assert await self.read(uow_factory, lambda uow: uow.images.for_product(other.id)) == [
            elsewhere
        ]
