"""ImageEditor conformance for the offline editor and the in-memory fake, plus the suite's
stdlib PNG reader."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from PIL import Image

from reseller_adapters.images.offline import OfflineImageEditor
from reseller_core.ports.images import ImageEditor
from reseller_core.testing import FakeImageEditor
from reseller_core.testing.conformance.image_editor import (
    ImageEditorConformance,
    SampleImage,
    png_alpha,
    product_png,
    read_png,
)
from tests.images import product_photo


class TestOfflineImageEditor(ImageEditorConformance):
    deterministic = True

    @pytest.fixture
    def editor(self) -> ImageEditor:
        return OfflineImageEditor()

    def sample_images(self) -> Sequence[SampleImage]:
        return [
            *super().sample_images(),
            SampleImage("photo.jpg", product_photo("JPEG", size=(160, 120)), "image/jpeg"),
            SampleImage("photo.webp", product_photo("WEBP", size=(160, 120)), "image/webp"),
        ]


class TestFakeImageEditor(TestOfflineImageEditor):
    """The fake reads only headers, so every format the offline editor takes must size right."""

    @pytest.fixture
    def editor(self) -> ImageEditor:
        return FakeImageEditor()


def _pillow_png(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def test_product_png_is_what_pillow_sees() -> None:
    """The suite's hand-built photo decodes in Pillow to the pixels it promises."""
    image = Image.open(io.BytesIO(product_png(8, 4, item=(1, 2, 3))))
    image.load()
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (8, 4))
    assert image.getpixel((0, 0)) == (245, 245, 240)
    assert image.getpixel((2, 1)) == (1, 2, 3)
    cutout = Image.open(io.BytesIO(product_png(8, 4, background=None)))
    assert cutout.mode == "RGBA"
    assert cutout.getchannel("A").getpixel((0, 0)) == 0


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        pytest.param("RGBA", {}, id="rgba"),
        pytest.param("RGBA", {"optimize": True}, id="rgba-optimized"),
        pytest.param("LA", {}, id="grey-alpha"),
        pytest.param("P", {}, id="palette-trns"),
    ],
)
def test_png_alpha_matches_pillow(mode: str, options: dict[str, object]) -> None:
    """Every filter type and the alpha-bearing colour types decode like Pillow decodes them."""
    source = Image.new("RGBA", (37, 23), (0, 0, 0, 0))
    for y in range(23):
        for x in range(37):
            source.putpixel((x, y), (x * 7 % 256, y * 11 % 256, (x * y) % 256, (x * 13 + y) % 256))
    if mode == "P":
        image = Image.new("P", (37, 23), 0)
        image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
        for y in range(23):
            for x in range(37):
                image.putpixel((x, y), (x + y) % 3)
        data = _pillow_png(image, transparency=bytes([0, 128, 255]))
    else:
        image = source.convert(mode)
        data = _pillow_png(image, **options)
    expected = Image.open(io.BytesIO(data)).convert("RGBA").getchannel("A")
    alpha = png_alpha(data)
    assert len(alpha) == 23 and all(len(row) == 37 for row in alpha)
    assert [value for row in alpha for value in row] == list(expected.tobytes())
    assert read_png(data).has_alpha


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"GIF89a", "signature", id="not-png"),
        pytest.param(product_png()[:40], "truncated", id="truncated"),
        pytest.param(product_png()[:-12], "IEND", id="no-iend"),
        pytest.param(product_png()[:19] + b"\x61" + product_png()[20:], "CRC", id="bad-crc"),
    ],
)
def test_read_png_names_the_problem(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        read_png(data)


def test_rgb_png_without_transparency_has_no_alpha() -> None:
    data = _pillow_png(Image.new("RGB", (3, 2), (9, 9, 9)))
    assert not read_png(data).has_alpha
    assert png_alpha(data) == [[255, 255, 255], [255, 255, 255]]
