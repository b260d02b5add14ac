"""Conformance of marketplace video persistence (spec 30 §9): the video-run repository and
the product's videos (one per marketplace), as the product view shows them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from reseller_core.domain.products import Product
from reseller_core.domain.videos import RENDER_STEP, ProductVideo, VideoRun
from reseller_core.ports.unit_of_work import UnitOfWorkFactory
from reseller_core.testing.conformance.uow_base import UnitOfWorkSuiteBase
from reseller_core.testing.conformance.uow_builders import T0, new_id
from reseller_core.testing.conformance.uow_media_runs import (
    check_claim_admits_one_worker_then_a_stale_one,
    check_concurrent_adds_admit_one,
)


def build_video_run(product: Product, **overrides: Any) -> VideoRun:
    values: dict[str, Any] = {
        "id": new_id(),
        "product_id": product.id,
        "user_id": product.user_id,
        "status": "queued",
        "step": "queued",
        "marketplace": "depop",
        "aspect_ratio": "9:16",
        "duration_seconds": 10,
        "source_image_ids": (new_id(), new_id()),
        "created_at": T0,
        "updated_at": T0,
    }
    return VideoRun(**{**values, **overrides})


def build_video(run: VideoRun, **overrides: Any) -> ProductVideo:
    values: dict[str, Any] = {
        "id": new_id(),
        "marketplace": run.marketplace,
        "video_generation_run_id": run.id,
        "storage_key": f"users/{run.user_id}/products/{run.product_id}/videos/{run.id}.mp4",
        "content_type": "video/mp4",
        "duration_seconds": 10.0,
        "width": 720,
        "height": 1280,
        "byte_size": 123_456,
        "source_image_ids": run.source_image_ids,
        "created_at": T0,
        "updated_at": T0,
    }
    return ProductVideo(**{**values, **overrides})


class VideoConformance(UnitOfWorkSuiteBase):
    async def test_video_runs_round_trip_newest_first_and_show_in_the_view(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        older = build_video_run(
            product,
            status="failed",
            step="video_failed",
            error_code="video_render_failed",
            error_message="The video could not be rendered.",
            payload={"error_reason": "video_render_failed"},
            finished_at=T0 + timedelta(seconds=5),
        )
        newer = build_video_run(product, created_at=T0 + timedelta(seconds=10))
        async with uow_factory() as uow:
            await uow.video_runs.add(older)
            await uow.video_runs.add(newer)
            await uow.commit()
        listed = await self.read(uow_factory, lambda uow: uow.video_runs.for_product(product.id))
        assert listed == [newer, older]
        assert await self.read(uow_factory, lambda uow: uow.video_runs.get(older.id)) == older
        view = await self.read(uow_factory, lambda uow: uow.products.view(owner.id, product.id))
        assert view is not None and view.latest_video_run == newer and view.videos == ()

    async def test_video_one_active_run_per_product_even_when_concurrent(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        await check_concurrent_adds_admit_one(
            self, uow_factory, lambda uow: uow.video_runs, lambda: build_video_run(product)
        )
        (active,) = await self.read(uow_factory, lambda uow: uow.video_runs.for_product(product.id))
        done = msgspec.structs.replace(active, status="completed", step="video_generated")
        await self.in_uow(uow_factory, lambda uow: uow.video_runs.update(done))
        await self.in_uow(uow_factory, lambda uow: uow.video_runs.add(build_video_run(product)))

    async def test_video_claim_admits_one_worker_then_a_stale_one(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        await check_claim_admits_one_worker_then_a_stale_one(
            self, uow_factory, lambda uow: uow.video_runs, build_video_run(product), RENDER_STEP
        )

    async def test_one_video_per_marketplace_replaced_and_removed(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        run = build_video_run(product)
        depop = build_video(run)
        ebay = build_video(run, marketplace="ebay", duration_seconds=5.04, width=1080, height=1080)
        newer = build_video(run, created_at=T0 + timedelta(seconds=1))
        assert (
            await self.in_uow(uow_factory, lambda u: u.products.replace_video(product.id, depop))
            is None
        )
        assert (
            await self.in_uow(uow_factory, lambda u: u.products.replace_video(product.id, ebay))
            is None
        )
        replaced = await self.in_uow(
            uow_factory, lambda u: u.products.replace_video(product.id, newer)
        )
        assert replaced == depop
        view = await self.read(uow_factory, lambda u: u.products.view(owner.id, product.id))
        assert view is not None and view.videos == (newer, ebay)  # by marketplace: depop, ebay
        assert (
            await self.in_uow(uow_factory, lambda u: u.products.remove_video(product.id, new_id()))
            is None
        )
        removed = await self.in_uow(
            uow_factory, lambda u: u.products.remove_video(product.id, ebay.id)
        )
        assert removed == ebay
        view = await self.read(uow_factory, lambda u: u.products.view(owner.id, product.id))
        assert view is not None and view.videos == (newer,)

    async def test_an_active_video_run_holds_one_videos_unit(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        run = build_video_run(product, created_at=T0 + timedelta(seconds=1))
        await self.in_uow(uow_factory, lambda uow: uow.video_runs.add(run))
        held = await self.in_uow(uow_factory, lambda uow: uow.usage.in_flight(owner.id, T0))
        assert held.get("videos") == 1
        done = msgspec.structs.replace(run, status="completed", step="video_generated")
        await self.in_uow(uow_factory, lambda uow: uow.video_runs.update(done))
        held = await self.in_uow(uow_factory, lambda uow: uow.usage.in_flight(owner.id, T0))
        assert "videos" not in held

    async def test_deleting_the_product_deletes_its_video_runs(
        self, uow_factory: UnitOfWorkFactory
    ) -> None:
        owner = await self.given_user(uow_factory)
        product = await self.given_product(uow_factory, owner)
        run = build_video_run(product)
        await self.in_uow(uow_factory, lambda uow: uow.video_runs.add(run))
        await self.in_uow(uow_factory, lambda uow: uow.products.delete(product.id))
        assert await self.read(uow_factory, lambda uow: uow.video_runs.get(run.id)) is None
