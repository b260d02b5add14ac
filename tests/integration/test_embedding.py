"""The whole ingest flow through the embedding API: no HTTP, domain objects in and out."""

from __future__ import annotations

from pathlib import Path

import pytest

from reseller_core.commands import SellerFields, UploadIntent
from reseller_core.domain.images import ImageKind, ImageStatus
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import RunStatus
from reseller_core.errors import EmailNotConfirmed, NotFound
from reseller_entrypoints.embedded import ResellerCore, UnknownOption, ValidationFailed
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


async def test_unknown_options_and_filters_name_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(
        UnknownOption,
        match=r"unknown option 'requre_email_confirmation' \(did you mean "
        r"'require_email_confirmation'\?\); valid options: .*supported_marketplaces",
    ):
        await ResellerCore.open(data_dir=str(tmp_path / "var"), requre_email_confirmation=False)
    assert not (tmp_path / "var").exists(), "nothing is opened before the options are checked"
    async with await ResellerCore.open(data_dir=str(tmp_path / "var")) as core:
        issued = await core.register("typo@example.com", "correct horse battery")
        with pytest.raises(UnknownOption, match=r"'stauts' \(did you mean 'status'\?\)"):
            await core.products(issued.user, stauts="ready")
        with pytest.raises(ValidationFailed) as failed:
            await core.register("typo@example.com", "correct horse battery")
    assert str(failed.value).startswith("Validation failed: email: ")
    assert failed.value.fields["email"]


def test_every_public_name_comes_from_one_module() -> None:
    from reseller_entrypoints import embedded

    missing = [name for name in embedded.__all__ if not hasattr(embedded, name)]
    assert missing == []
    assert {"ResellerCore", "SellerFields", "UploadIntent", "ValidationFailed"} <= set(
        embedded.__all__
    )
