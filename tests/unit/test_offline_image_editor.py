"""The offline image editor: plain backdrops out, the item cropped and padded, as PNG."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from reseller_adapters.images import OfflineImageEditor
from reseller_core.ports import ImageEditor, ImageEditorError


def product_photo(
    fmt: str = "JPEG",
    size: tuple[int, int] = (640, 480),
    item: tuple[int, int, int] = (200, 30, 40),
    background: tuple[int, int, int] = (245, 245, 240),
) -> bytes:
    """A plain backdrop with a coloured ellipse (half the frame) in the middle."""
    image = Image.new("RGB", size, background)
    w, h = size
    ImageDraw.Draw(image).ellipse((w // 4, h // 4, 3 * w // 4, 3 * h // 4), fill=item)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def fx_editor() -> OfflineImageEditor:
    return OfflineImageEditor()


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_is_an_image_editor(fx_editor: OfflineImageEditor) -> None:
    editor: ImageEditor = fx_editor

    assert editor.name == "offline"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
async def test_background_becomes_transparent_and_item_is_kept(
    fx_editor: OfflineImageEditor, fmt: str
) -> None:
    # 640x480 with an ellipse of 320x240 in the middle.
    photo = product_photo(fmt=fmt, item=(30, 60, 200), background=(245, 245, 240))

    edited = await fx_editor.remove_background(photo, f"image/{fmt.lower()}")

    assert edited.content_type == "image/png"
    image = _open(edited.data)
    assert image.format == "PNG"
    assert image.mode == "RGBA"
    assert image.size == (edited.width, edited.height)
    # Cropped to the item plus 15% of its larger side on each side.
    assert 320 * 1.3 <= edited.width <= 320 * 1.3 + 12
    assert 240 + 0.3 * 320 <= edited.height <= 240 + 0.3 * 320 + 12
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((edited.width - 1, edited.height - 1))[3] == 0
    centre = image.getpixel((edited.width // 2, edited.height // 2))
    assert centre[3] == 255
    assert abs(centre[2] - 200) <= 8


async def test_is_deterministic(fx_editor: OfflineImageEditor) -> None:
    photo = product_photo()

    first = await fx_editor.remove_background(photo, "image/jpeg")
    second = await OfflineImageEditor().remove_background(photo, "image/jpeg")

    assert first == second


async def test_a_cut_out_can_be_cut_again(fx_editor: OfflineImageEditor) -> None:
    once = await fx_editor.remove_background(product_photo(), "image/jpeg")

    twice = await fx_editor.remove_background(once.data, "image/png")

    assert (twice.width, twice.height) == (once.width, once.height)


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", product_photo()[:200]],
    ids=["empty", "text", "truncated"],
)
async def test_undecodable_input_raises_image_editor_error(
    fx_editor: OfflineImageEditor, data: bytes
) -> None:
    with pytest.raises(ImageEditorError):
        await fx_editor.remove_background(data, "image/jpeg")


async def test_a_blank_photo_has_no_item(fx_editor: OfflineImageEditor) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 150), (240, 240, 240)).save(buffer, format="PNG")

    with pytest.raises(ImageEditorError, match="no item"):
        await fx_editor.remove_background(buffer.getvalue(), "image/png")


async def test_a_cluttered_backdrop_is_refused(fx_editor: OfflineImageEditor) -> None:
    # A room-like scene: large regions of very different colours around the item.
    image = Image.new("RGB", (160, 120), (200, 40, 40))
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 0, 159, 59), fill=(30, 160, 60))
    draw.rectangle((0, 60, 79, 119), fill=(20, 40, 200))
    draw.rectangle((80, 60, 159, 119), fill=(240, 230, 40))
    draw.ellipse((50, 35, 110, 85), fill=(250, 250, 250))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")

    with pytest.raises(ImageEditorError, match="not plain enough"):
        await fx_editor.remove_background(buffer.getvalue(), "image/png")
