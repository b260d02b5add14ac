"""Run the ResellerIO ingest flow inside your own program: no HTTP server, no services.

    python docs/examples/embed.py [DATA_DIR]

Creates a seller, a product with one photo, runs the offline AI pipeline and prints what it
produced. Everything lives under DATA_DIR (default: a temporary directory).
"""

from __future__ import annotations

import asyncio
import io
import sys
import tempfile

from PIL import Image

from reseller_entrypoints.embedded import ResellerCore, SellerFields, UploadIntent


def photo() -> bytes:
    """A stand-in for a phone photo: a red item on a light background."""
    image = Image.new("RGB", (640, 480), (240, 240, 235))
    image.paste((190, 30, 40), (200, 120, 440, 360))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    return buffer.getvalue()


async def main(data_dir: str) -> None:
    async with await ResellerCore.open(data_dir=data_dir) as core:
        issued = await core.register("seller@example.com", "correct horse battery")
        # Your app would send the confirmation link; an operator can also confirm directly.
        user = await core.confirm_email(issued.user.email)

        data = photo()
        created = await core.create_product(
            user,
            SellerFields(title="Red wool scarf", brand="Acne Studios", category="Scarves"),
            [UploadIntent(filename="scarf.jpg", content_type="image/jpeg", byte_size=len(data))],
        )
        (instruction,) = created.upload_instructions
        await core.upload(instruction, data)  # or PUT to instruction.upload_url over HTTP
        await core.finalize_uploads(user, created.view.product.id, [instruction.image_id])

        view = await core.wait_until_settled(user, created.view.product.id)
        run = view.latest_processing_run
        print(f"status: {view.product.status}, run: {run and run.status}")
        if view.description_draft:
            print(f"title:  {view.description_draft.suggested_title}")
        if view.price_research:
            print(
                f"price:  {view.price_research.suggested_target_price} "
                f"{view.price_research.currency} ({view.price_research.status})"
            )
        for listing in view.marketplace_listings:
            print(f"{listing.marketplace:>10}: {listing.generated_title}")
        print(f"images: {[(i.kind.value, i.processing_status.value) for i in view.images]}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        asyncio.run(main(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as directory:
            asyncio.run(main(directory))
