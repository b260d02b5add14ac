"""LifestyleImageGenerator conformance: the offline compositor and the Gemini image adapter
(against a loopback fake of Gemini's ``generateContent`` wire protocol)."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Iterator

import pytest
from PIL import Image

from reseller_adapters.media.gemini_image import GeminiImageGenerator
from reseller_adapters.media.offline_lifestyle import OfflineLifestyleGenerator
from reseller_core.domain.lifestyle import APPAREL, SceneFacts, plan_scenes, scene_prompt
from reseller_core.ports.media import (
    LifestyleGenerationError,
    LifestyleImageGenerator,
    SceneRequest,
    SourceImage,
)
from tests.images import product_photo
from tests.vendor_fakes import GeminiImageFake, Reply


def scene_request(
    variant: int = 1, *, sources: tuple[SourceImage, ...] | None = None
) -> SceneRequest:
    scene = plan_scenes(APPAREL)[variant - 1]
    photo = product_photo("JPEG", size=(300, 400))
    return SceneRequest(
        scene_family=APPAREL.name,
        scene_key=scene.scene_key,
        variant_index=scene.variant_index,
        prompt=scene_prompt(APPAREL, scene, SceneFacts(title="Red canvas tote", color="red")),
        aspect_ratio="4:5",
        sources=sources
        if sources is not None
        else (SourceImage(image_id="01J", kind="original", content_type="image/jpeg", data=photo),),
    )


class LifestyleGeneratorConformance:
    """What every generator promises the lifestyle run."""

    @pytest.fixture
    def generator(self) -> LifestyleImageGenerator:
        raise NotImplementedError

    async def test_scene_is_a_decodable_image_of_the_declared_type(
        self, generator: LifestyleImageGenerator
    ) -> None:
        scene = await generator.generate_scene(scene_request())
        image = Image.open(io.BytesIO(scene.data))
        image.load()
        assert {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[
            str(image.format)
        ] == scene.content_type
        assert abs(image.width / image.height - 4 / 5) < 0.02
        if scene.width is not None or scene.height is not None:
            assert (scene.width, scene.height) == image.size  # a declared size is the real one
        assert scene.returned_image_count >= 1
        assert scene.model

    async def test_each_variant_is_its_own_image(self, generator: LifestyleImageGenerator) -> None:
        first = await generator.generate_scene(scene_request(1))
        third = await generator.generate_scene(scene_request(3))
        assert Image.open(io.BytesIO(first.data)).size == Image.open(io.BytesIO(third.data)).size
        if getattr(self, "varies_by_scene", True):
            assert first.data != third.data


class TestOfflineLifestyleGenerator(LifestyleGeneratorConformance):
    @pytest.fixture
    def generator(self) -> LifestyleImageGenerator:
        return OfflineLifestyleGenerator()

    async def test_item_is_staged_not_pasted_on_a_flat_fill(self) -> None:
        """The set has a lit wall and a floor: many colours, and the item's red in the middle."""
        scene = await OfflineLifestyleGenerator().generate_scene(scene_request())
        image = Image.open(io.BytesIO(scene.data)).convert("RGB")
        assert len(image.getcolors(1_000_000) or []) > 500
        top, bottom = image.getpixel((5, 5)), image.getpixel((5, image.height - 5))
        assert top != bottom
        red, green, blue = image.getpixel((image.width // 2, round(image.height * 0.7)))
        assert red > 150 and green < 80 and blue < 80

    async def test_transparent_cut_out_is_used_as_is(self) -> None:
        cut = Image.new("RGBA", (200, 300), (0, 0, 0, 0))
        cut.paste((20, 40, 200, 255), (50, 50, 150, 250))
        buffer = io.BytesIO()
        cut.save(buffer, format="PNG")
        source = SourceImage(
            image_id="01J",
            kind="background_removed",
            content_type="image/png",
            data=buffer.getvalue(),
        )
        scene = await OfflineLifestyleGenerator().generate_scene(scene_request(sources=(source,)))
        image = Image.open(io.BytesIO(scene.data)).convert("RGB")
        red, _green, blue = image.getpixel((image.width // 2, round(image.height * 0.7)))
        assert blue > 150 and red < 80

    async def test_unreadable_source_fails_the_scene(self) -> None:
        source = SourceImage(
            image_id="01J", kind="original", content_type="image/jpeg", data=b"not an image"
        )
        with pytest.raises(LifestyleGenerationError):
            await OfflineLifestyleGenerator().generate_scene(scene_request(sources=(source,)))


@pytest.fixture
def image_fake() -> Iterator[GeminiImageFake]:
    fake = GeminiImageFake().start()
    try:
        yield fake
    finally:
        fake.stop()


class TestGeminiImageGenerator(LifestyleGeneratorConformance):
    varies_by_scene = False
    """The fake answers every scene with the same picture; the model would not."""

    @pytest.fixture
    async def generator(
        self, image_fake: GeminiImageFake
    ) -> AsyncIterator[LifestyleImageGenerator]:
        adapter = GeminiImageGenerator(
            "test-key-123", base_url=image_fake.base_url, retry_backoff_s=0
        )
        yield adapter
        await adapter.aclose()

    async def test_wire_request(
        self, generator: GeminiImageGenerator, image_fake: GeminiImageFake
    ) -> None:
        request = scene_request(2)
        await generator.generate_scene(request)
        (sent,) = image_fake.requests
        assert sent["path"] == "/v1beta/models/gemini-2.5-flash-image:generateContent"
        assert sent["headers"]["x-goog-api-key"] == "test-key-123"
        parts = sent["body"]["contents"][0]["parts"]
        assert parts[0]["text"] == request.prompt
        assert "no text overlays" in parts[0]["text"]
        assert base64.b64decode(parts[1]["inlineData"]["data"]) == request.sources[0].data
        assert parts[1]["inlineData"]["mimeType"] == "image/jpeg"
        assert sent["body"]["generationConfig"] == {
            "responseModalities": ["IMAGE"],
            "imageConfig": {"aspectRatio": "4:5"},
        }

    async def test_first_of_several_images_is_taken(
        self, generator: GeminiImageGenerator, image_fake: GeminiImageFake
    ) -> None:
        first, second = image_fake.scene_png(80, 100), image_fake.scene_png(160, 200)
        image_fake.push(image_fake.image_reply(first, second))
        scene = await generator.generate_scene(scene_request())
        assert scene.data == first and scene.returned_image_count == 2
        assert scene.model == "gemini-2.5-flash-image"

    async def test_rate_limit_is_retried_once(
        self, generator: GeminiImageGenerator, image_fake: GeminiImageFake
    ) -> None:
        image_fake.push(image_fake.fault("quota"))
        scene = await generator.generate_scene(scene_request())
        assert scene.content_type == "image/png" and len(image_fake.requests) == 2

    @pytest.mark.parametrize(
        ("reply", "reason"),
        [
            ("two quotas", "rate_limited"),
            ("server", "provider_error"),
            ("no image", "no_image"),
            ("blocked", "blocked"),
            ("garbage", "undecodable"),
            ("not json", "bad_answer"),
        ],
    )
    async def test_failures_become_scene_errors_without_the_key(
        self, generator: GeminiImageGenerator, image_fake: GeminiImageFake, reply: str, reason: str
    ) -> None:
        replies = {
            "two quotas": [image_fake.fault("quota"), image_fake.fault("quota")],
            "server": [image_fake.fault("server")],
            "no image": [
                image_fake.json_reply(
                    200,
                    {
                        "candidates": [
                            {"content": {"parts": [{"text": "no"}]}, "finishReason": "STOP"}
                        ]
                    },
                )
            ],
            "blocked": [image_fake.json_reply(200, {"promptFeedback": {"blockReason": "SAFETY"}})],
            "garbage": [image_fake.image_reply(b"\x89PNG but not really")],
            "not json": [Reply(200, b"<html>")],
        }[reply]
        image_fake.push(*replies)
        with pytest.raises(LifestyleGenerationError) as raised:
            await generator.generate_scene(scene_request())
        assert raised.value.reason == reason
        assert "test-key-123" not in str(raised.value)

    async def test_unreachable_model(self) -> None:
        adapter = GeminiImageGenerator("k-1234", base_url="http://127.0.0.1:9", retry_backoff_s=0)
        with pytest.raises(LifestyleGenerationError) as raised:
            await adapter.generate_scene(scene_request())
        await adapter.aclose()
        assert raised.value.reason == "unreachable"
