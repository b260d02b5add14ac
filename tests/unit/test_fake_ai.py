"""The AI and image-editor fakes: their fail/heal and call-recording hooks, and header sniffing."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from reseller_core.ports.ai import INVALID_IMAGE, AIProviderError, ImageInput, ProductFacts
from reseller_core.ports.images import ImageEditorError
from reseller_core.testing import FakeAIProvider, FakeImageEditor
from reseller_core.testing.conformance.image_editor import png_alpha, product_png
from reseller_core.testing.fake_ai import FakeCall, ImageHeader, sniff_image
from tests.images import product_photo

FACTS = ProductFacts(product_id="01JFAKEPRODUCT000000000000", brand="Acme", category="bag")


def _image(data: bytes, image_id: str = "01JFAKEIMAGE00000000000000") -> ImageInput:
    return ImageInput(
        image_id=image_id, kind="original", position=0, content_type="image/png", data=data
    )


def _heic(width: int | None = 300, height: int = 200) -> bytes:
    """A HEIC header: an ``ftyp`` box, then (optionally) an ``ispe`` property with the size."""
    ftyp = struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"
    if width is None:
        return ftyp + b"\x00" * 32
    ispe = struct.pack(">I", 20) + b"ispe" + b"\x00" * 4 + struct.pack(">II", width, height)
    return ftyp + struct.pack(">I", 28) + b"meta" + b"\x00" * 4 + ispe


def _pillow(fmt: str, size: tuple[int, int], **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(product_png(40, 30), ImageHeader("PNG", 40, 30), id="png"),
        pytest.param(product_photo("JPEG", (123, 45)), ImageHeader("JPEG", 123, 45), id="jpeg"),
        pytest.param(
            _pillow("JPEG", (77, 66), progressive=True), ImageHeader("JPEG", 77, 66), id="jpeg-prog"
        ),
        pytest.param(_pillow("WEBP", (91, 37)), ImageHeader("WEBP", 91, 37), id="webp-lossy"),
        pytest.param(
            _pillow("WEBP", (50, 60), lossless=True),
            ImageHeader("WEBP", 50, 60),
            id="webp-lossless",
        ),
        pytest.param(_heic(), ImageHeader("HEIC", 300, 200), id="heic"),
        pytest.param(_heic(None), ImageHeader("HEIC", None, None), id="heic-unsized"),
    ],
)
def test_sniff_reads_format_and_size_from_the_header(data: bytes, expected: ImageHeader) -> None:
    assert sniff_image(data) == expected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"GIF89a" + b"\x00" * 40, id="gif"),
        pytest.param(product_photo("JPEG", (64, 48))[:300], id="truncated-jpeg"),
        pytest.param(_pillow("WEBP", (20, 20))[:-4], id="truncated-webp"),
        pytest.param(product_png()[:-12], id="png-without-iend"),
        pytest.param(b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00avifmiaf", id="avif"),
    ],
)
def test_sniff_refuses_what_is_not_an_allowed_image(data: bytes) -> None:
    with pytest.raises(ValueError, match=r"JPEG|PNG|WEBP|HEIC"):
        sniff_image(data)


async def test_a_failed_stage_raises_until_healed_and_other_stages_still_work() -> None:
    provider = FakeAIProvider()
    limited = AIProviderError("ai_rate_limited", "slow down", retryable=True)
    provider.fail("describe", limited)
    recognition = await provider.recognize([_image(product_png())], FACTS)
    for _ in range(2):
        with pytest.raises(AIProviderError) as caught:
            await provider.describe(FACTS, recognition)
        assert caught.value is limited
    provider.heal("describe")
    assert (await provider.describe(FACTS, recognition)).suggested_title == "Acme bag"


async def test_heal_without_a_stage_clears_every_failure() -> None:
    provider = FakeAIProvider()
    error = AIProviderError("ai_provider_timeout", "timed out", retryable=True)
    provider.fail("recognize", error)
    provider.fail("research_price", error)
    provider.heal()
    recognition = await provider.recognize([_image(product_png())], FACTS)
    assert (await provider.research_price(FACTS, recognition)).currency == "USD"


def test_an_unknown_stage_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown stage 'recognise'"):
        FakeAIProvider().fail("recognise", AIProviderError("stalled", "x", retryable=True))
    with pytest.raises(ValueError, match="remove_background"):
        FakeImageEditor().heal("recognize")


async def test_calls_record_every_request_including_failed_ones() -> None:
    provider = FakeAIProvider()
    good, bad = _image(product_png()), _image(b"not an image", "01JFAKEBADIMAGE00000000000")
    with pytest.raises(AIProviderError) as caught:
        await provider.recognize([good, bad], FACTS)
    assert (caught.value.code, caught.value.details["image_id"]) == (INVALID_IMAGE, bad.image_id)
    recognition = await provider.recognize([good], FACTS)
    await provider.research_price(FACTS, recognition)
    assert provider.calls == [
        FakeCall("recognize", ((good, bad), FACTS)),
        FakeCall("recognize", ((good,), FACTS)),
        FakeCall("research_price", (FACTS, recognition)),
    ]


async def test_recognition_states_only_the_sellers_facts_and_the_headers() -> None:
    provider = FakeAIProvider()
    unknown = ProductFacts(product_id="01JFAKEPRODUCT000000000001")
    recognition = await provider.recognize([_image(product_png(40, 30)), _image(_heic())], unknown)
    assert (recognition.brand, recognition.color, recognition.category) == (None, None, "")
    assert recognition.needs_review
    assert [(i["format"], i["width"], i["height"]) for i in recognition.observations["images"]] == [
        ("PNG", 40, 30),
        ("HEIC", 300, 200),
    ]


async def test_editor_output_is_a_cutout_of_the_input_size_and_calls_are_recorded() -> None:
    editor = FakeImageEditor()
    photo = product_photo("WEBP", (50, 20))
    edited = await editor.remove_background(photo, "image/webp")
    alpha = png_alpha(edited.data)
    assert (edited.width, edited.height, len(alpha), len(alpha[0])) == (50, 20, 20, 50)
    assert alpha[0] == [0] * 50 and alpha[10][:7] == [0] * 7 and alpha[10][7:43] == [255] * 36
    assert editor.calls == [FakeCall("remove_background", (photo, "image/webp"))]


async def test_editor_fail_heal_and_unsized_input() -> None:
    editor = FakeImageEditor()
    broken = ImageEditorError("provider down")
    editor.fail("remove_background", broken)
    with pytest.raises(ImageEditorError) as caught:
        await editor.remove_background(product_png(), "image/png")
    assert caught.value is broken
    editor.heal()
    assert (await editor.remove_background(_heic(), "image/heic")).width == 300
    with pytest.raises(ImageEditorError, match="does not state the image size"):
        await editor.remove_background(_heic(None), "image/heic")


async def test_editor_refuses_a_header_claiming_too_many_pixels() -> None:
    """A decompression bomb is refused from its header, before any canvas is drawn."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(b"\x00")), (b"IEND", b"")]
    data = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in chunks
    )
    with pytest.raises(ImageEditorError, match="100000x100000 pixels"):
        await FakeImageEditor().remove_background(data, "image/png")
