"""Lifestyle generation through the embedding API on SQLite, local storage and the
in-process queue: the run completes with the offline generator and its images decode."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from PIL import Image

from reseller_core.commands import SellerFields, UploadIntent
from reseller_core.domain.images import ImageKind
from reseller_core.errors import InvalidProductState, NotFound
from reseller_entrypoints.embedded import ResellerCore
from tests.images import product_photo


async def test_lifestyle_run_on_sqlite_and_local_storage(tmp_path: Path) -> None:
    photo = product_photo("JPEG", size=(480, 640))
    async with await ResellerCore.open(
        f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", str(tmp_path)
    ) as core:
        issued = await core.register("life@example.com", "correct horse battery")
        user = await core.confirm_email("life@example.com")
        del issued
        created = await core.create_product(
            user,
            SellerFields(title="Oak side table"),
            [UploadIntent(filename="t.jpg", content_type="image/jpeg", byte_size=len(photo))],
        )
        (instruction,) = created.upload_instructions
        await core.upload(instruction, photo)
        product_id = created.view.product.id
        await core.finalize_uploads(user, product_id, [instruction.image_id])
        settled = await core.wait_until_settled(user, product_id)
        cut_out = next(i for i in settled.images if i.kind == ImageKind.BACKGROUND_REMOVED)

        queued = await core.generate_lifestyle_images(user, product_id)
        assert queued.run.scene_family == "furniture"
        with pytest.raises(InvalidProductState):
            await core.generate_lifestyle_images(user, product_id)
        for _ in range(600):
            (run,) = await core.lifestyle_generation_runs(user, product_id)
            if not run.active:
                break
            await asyncio.sleep(0.05)
        assert (run.status, run.completed_count, run.step) == (
            "completed",
            3,
            "lifestyle_generated",
        )
        assert run.payload["source_image_ids"][0] == cut_out.id

        view = await core.product(user, product_id)
        generated = [i for i in view.images if i.kind == ImageKind.LIFESTYLE_GENERATED]
        assert [i.scene_key for i in generated] == ["hero_room", "alternate_room", "styled_detail"]
        assert [i.position for i in generated] == sorted(i.position for i in generated)
        for image in generated:
            decoded = Image.open(io.BytesIO(await core.read_image(image)))
            decoded.load()
            assert decoded.format == "JPEG" and decoded.size == (1024, 1280)

        approved = await core.approve_generated_image(user, product_id, generated[0].id)
        assert next(i for i in approved.images if i.id == generated[0].id).seller_approved
        with pytest.raises(NotFound):
            await core.approve_generated_image(user, product_id, cut_out.id)
        remaining = await core.delete_generated_image(user, product_id, generated[1].id)
        assert generated[1].id not in {i.id for i in remaining.images}
