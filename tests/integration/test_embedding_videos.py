"""Marketplace videos through the embedding API on SQLite, local storage and the
in-process queue: the run renders an MP4 with the ffmpeg renderer, and it can be deleted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reseller_core.commands import SellerFields, UploadIntent
from reseller_core.errors import InvalidProductState, NotFound, ValidationFailed
from reseller_entrypoints.embedded import ResellerCore
from tests.images import product_photo


async def test_video_run_on_sqlite_and_local_storage(tmp_path: Path) -> None:
    photo = product_photo("JPEG", size=(480, 640))
    async with await ResellerCore.open(
        f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", str(tmp_path)
    ) as core:
        await core.register("video@example.com", "correct horse battery")
        user = await core.confirm_email("video@example.com")
        created = await core.create_product(
            user,
            SellerFields(title="Suede ankle boots"),
            [UploadIntent(filename="b.jpg", content_type="image/jpeg", byte_size=len(photo))],
        )
        (instruction,) = created.upload_instructions
        await core.upload(instruction, photo)
        product_id = created.view.product.id
        await core.finalize_uploads(user, product_id, [instruction.image_id])
        await core.wait_until_settled(user, product_id)

        with pytest.raises(ValidationFailed) as refused:
            await core.generate_marketplace_video(user, product_id, "ebay", duration_seconds=60)
        assert refused.value.fields == {"duration_seconds": ["must be less than or equal to 30"]}
        queued = await core.generate_marketplace_video(
            user, product_id, "mercari", duration_seconds=5, aspect_ratio="4:5"
        )
        assert (queued.run.status, queued.run.marketplace) == ("queued", "mercari")
        with pytest.raises(InvalidProductState):
            await core.generate_marketplace_video(user, product_id, "ebay")
        for _ in range(600):
            (run,) = await core.video_generation_runs(user, product_id)
            if not run.active:
                break
            await asyncio.sleep(0.05)
        assert (run.status, run.step) == ("completed", "video_generated"), run

        view = await core.product(user, product_id)
        (video,) = view.videos
        assert (video.width, video.height, video.content_type) == (864, 1080, "video/mp4")
        assert abs(video.duration_seconds - 5) < 0.2
        stored = tmp_path / "storage" / video.storage_key
        data = stored.read_bytes() if stored.exists() else b""
        assert data[4:8] == b"ftyp" and len(data) == video.byte_size

        remaining = await core.delete_video(user, product_id, video.id)
        assert remaining.videos == ()
        with pytest.raises(NotFound):
            await core.delete_video(user, product_id, video.id)
