"""The whole ingest flow through the embedding API: no HTTP, domain objects in and out."""

from __future__ import annotations

from pathlib import Path

import pytest

from reseller_core.commands import SellerFields, UploadIntent
from reseller_core.domain.images import ImageKind, ImageStatus
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import RunStatus
from reseller_core.errors import EmailNotConfirmed, NotFound
from reseller_entrypoints.embedded import ResellerCore
from tests.images import product_photo


async def test_ingest_flow_in_process(tmp_path: Path) -> None:
    photo = product_photo("JPEG")
    async with await ResellerCore.open(
        f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", str(tmp_path)
    ) as core:
        issued = await core.register(
            "embed@example.com", "correct horse battery", selected_marketplaces=["etsy", "ebay"]
        )
        user = await core.authenticate(issued.token)
        assert user.confirmed_at is None
        with pytest.raises(EmailNotConfirmed):
            await core.create_product(user, SellerFields(title="Lamp"))
        user = await core.confirm_email("embed@example.com")

        created = await core.create_product(
            user,
            SellerFields(title="Brass desk lamp", brand="Anglepoise"),
            [UploadIntent(filename="lamp.jpg", content_type="image/jpeg", byte_size=len(photo))],
        )
        assert created.view.product.status == ProductStatus.UPLOADING
        (instruction,) = created.upload_instructions
        await core.upload(instruction, photo)
        finalized = await core.finalize_uploads(
            user, created.view.product.id, [instruction.image_id]
        )
        assert finalized.run is not None

        view = await core.wait_until_settled(user, created.view.product.id)
        assert view.product.status in (ProductStatus.READY, ProductStatus.REVIEW)
        assert view.latest_run is not None and view.latest_run.status == RunStatus.COMPLETED
        assert view.description_draft is not None
        assert view.price_research is not None
        assert sorted(listing.marketplace for listing in view.marketplace_listings) == [
            "ebay",
            "etsy",
        ]
        variants = [image for image in view.images if image.kind == ImageKind.BACKGROUND_REMOVED]
        assert len(variants) == 1 and variants[0].processing_status == ImageStatus.READY
        assert (await core.read_image(variants[0])).startswith(b"\x89PNG")

        listed = await core.products(user, status="all", page_size=10)
        assert [item.product.id for item in listed.page.products] == [view.product.id]

        other = await core.register("other@example.com", "correct horse battery")
        with pytest.raises(NotFound):
            await core.product(other.user, view.product.id)
