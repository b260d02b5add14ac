"""The offline AI provider: deterministic, measures what it can, never invents the rest."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from PIL import Image, ImageDraw

from reseller_adapters.ai import OfflineAIProvider
from reseller_adapters.ai.image_measurement import colour_name
from reseller_core.domain.marketplaces import get_marketplace
from reseller_core.ports import (
    AIProvider,
    AIProviderError,
    ImageInput,
    ListingRequest,
    ProductFacts,
)
from reseller_core.ports.ai import INVALID_IMAGE


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


def _solid(
    colour: tuple[int, int, int], fmt: str = "PNG", size: tuple[int, int] = (120, 90)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=fmt)
    return buffer.getvalue()


def _input(data: bytes, image_id: str = "IMG1", content_type: str = "image/png") -> ImageInput:
    return ImageInput(
        image_id=image_id, kind="original", position=1, content_type=content_type, data=data
    )


@pytest.fixture
def fx_ai() -> OfflineAIProvider:
    return OfflineAIProvider()


def test_is_an_honest_offline_ai_provider(fx_ai: OfflineAIProvider) -> None:
    provider: AIProvider = fx_ai

    assert (provider.name, provider.model, provider.offline) == ("offline", "offline-v1", True)


@pytest.mark.parametrize(
    ("rgb", "fmt", "name"),
    [
        ((220, 20, 30), "PNG", "red"),
        ((30, 60, 210), "JPEG", "blue"),
        ((20, 140, 40), "WEBP", "green"),
        ((15, 15, 15), "PNG", "black"),
        ((250, 250, 250), "JPEG", "white"),
    ],
)
async def test_colour_of_a_solid_image(
    fx_ai: OfflineAIProvider, rgb: tuple[int, int, int], fmt: str, name: str
) -> None:
    recognition = await fx_ai.recognize([_input(_solid(rgb, fmt))], ProductFacts(product_id="P"))

    assert recognition.color == name
    assert recognition.observations["offline"] is True
    observed = recognition.observations["images"][0]
    assert (observed["width"], observed["height"]) == (120, 90)
    assert observed["orientation"] == "landscape"
    assert observed["dominant_color"]["name"] == name
    assert all(abs(a - b) <= 6 for a, b in zip(observed["dominant_color"]["rgb"], rgb, strict=True))


async def test_the_item_colour_wins_over_a_plain_backdrop(fx_ai: OfflineAIProvider) -> None:
    photo = product_photo(item=(30, 60, 200), background=(245, 245, 240))

    recognition = await fx_ai.recognize([_input(photo)], ProductFacts(product_id="P"))

    assert recognition.color == "blue"
    assert recognition.observations["images"][0]["background_excluded"] is True
    assert recognition.field_confidence["color"] == pytest.approx(0.6)


async def test_transparent_pixels_are_ignored(fx_ai: OfflineAIProvider) -> None:
    image = Image.new("RGBA", (100, 100), (255, 255, 255, 0))
    image.paste((200, 20, 20, 255), (30, 30, 70, 70))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")

    recognition = await fx_ai.recognize([_input(buffer.getvalue())], ProductFacts(product_id="P"))

    assert recognition.color == "red"


async def test_same_inputs_same_outputs(fx_ai: OfflineAIProvider) -> None:
    facts = ProductFacts(product_id="P", brand="Nike", category="Sneakers")
    images = [_input(product_photo()), _input(product_photo(fmt="PNG"), image_id="IMG2")]

    first = await fx_ai.recognize(images, facts)
    second = await OfflineAIProvider().recognize(images, facts)
    assert first == second
    assert await fx_ai.describe(facts, first) == await fx_ai.describe(facts, second)
    assert await fx_ai.research_price(facts, first) == await fx_ai.research_price(facts, second)


async def test_never_invents_brand_model_material_or_condition(fx_ai: OfflineAIProvider) -> None:
    recognition = await fx_ai.recognize([_input(product_photo())], ProductFacts(product_id="P"))

    assert recognition.brand is None
    assert recognition.possible_model is None
    assert recognition.material is None
    assert recognition.logo_text is None
    assert recognition.category == ""
    assert recognition.needs_review is True
    assert set(recognition.missing_information) == {"brand", "category"}
    assert recognition.confidence_score == pytest.approx(0.5)

    draft = await fx_ai.describe(ProductFacts(product_id="P"), recognition)
    text = " ".join([draft.suggested_title, draft.short_description, draft.long_description or ""])
    assert "Condition" not in text
    assert draft.missing_details_warning is not None
    for name in ("brand", "category", "condition"):
        assert name in draft.missing_details_warning


async def test_seller_facts_are_used_and_raise_confidence(fx_ai: OfflineAIProvider) -> None:
    facts = ProductFacts(
        product_id="P", brand="Nike", category="Sneakers", condition="Used - good", size="10"
    )

    recognition = await fx_ai.recognize([_input(product_photo())], facts)
    draft = await fx_ai.describe(facts, recognition)

    assert (recognition.brand, recognition.category) == ("Nike", "Sneakers")
    assert recognition.needs_review is False
    assert recognition.confidence_score > 0.75
    assert recognition.field_confidence["brand"] == 1.0
    assert draft.suggested_title == "Nike Red Sneakers"
    assert "Condition: Used - good." in draft.short_description
    assert draft.missing_details_warning is None
    assert {"nike", "sneakers"} <= set(draft.seo_keywords)


async def test_the_seller_title_is_kept(fx_ai: OfflineAIProvider) -> None:
    facts = ProductFacts(product_id="P", title="Air Max 90 Infrared", brand="Nike")
    recognition = await fx_ai.recognize([_input(product_photo())], facts)

    draft = await fx_ai.describe(facts, recognition)

    assert draft.suggested_title == "Air Max 90 Infrared"


async def test_price_is_a_labelled_low_confidence_heuristic(fx_ai: OfflineAIProvider) -> None:
    facts = ProductFacts(product_id="P", category="Running sneakers")
    recognition = await fx_ai.recognize([_input(product_photo())], facts)

    price = await fx_ai.research_price(facts, recognition)

    assert price.currency == "USD"
    assert price.suggested_target_price == Decimal("45.00")
    assert price.pricing_confidence < 0.6
    assert price.rationale_summary is not None
    assert price.rationale_summary.startswith("Offline provider: no market data was consulted")
    assert any(signal.startswith("heuristic:") for signal in price.market_signals)
    assert price.comparable_results == ()


async def test_unknown_category_gets_the_generic_heuristic(fx_ai: OfflineAIProvider) -> None:
    recognition = await fx_ai.recognize([_input(product_photo())], ProductFacts(product_id="P"))

    price = await fx_ai.research_price(ProductFacts(product_id="P"), recognition)

    assert price.suggested_target_price == Decimal("20.00")
    assert price.pricing_confidence <= 0.1
    assert "no category is known" in (price.rationale_summary or "")


@pytest.mark.parametrize(
    "data",
    [
        b"this is a text file pretending to be a JPEG" * 20,
        b"",
        _solid((10, 10, 10), "JPEG", (400, 300))[:300],
        _solid((10, 10, 10), "GIF"),
    ],
    ids=["text", "empty", "truncated-jpeg", "gif-not-allowed"],
)
async def test_bytes_that_are_not_an_allowed_image_raise_invalid_image(
    fx_ai: OfflineAIProvider, data: bytes
) -> None:
    good = _input(product_photo(), image_id="GOOD")
    with pytest.raises(AIProviderError) as caught:
        await fx_ai.recognize([good, _input(data, image_id="BAD")], ProductFacts(product_id="P"))

    assert caught.value.code == INVALID_IMAGE
    assert caught.value.retryable is False
    assert caught.value.details["image_id"] == "BAD"
    assert "0x" not in caught.value.details["reason"]  # no memory addresses: deterministic


def _request(marketplace_id: str, **facts: str) -> ListingRequest:
    marketplace = get_marketplace(marketplace_id)
    assert marketplace is not None
    from reseller_core.ports import DescriptionResult, PriceResult

    return ListingRequest(
        marketplace=marketplace.id,
        label=marketplace.label,
        rules=marketplace.rules,
        facts=ProductFacts(product_id="P", **facts),
        description=DescriptionResult(
            suggested_title="Nike Red Sneakers",
            short_description="Nike Red Sneakers.",
            long_description="Nike Red Sneakers.\n\n- Brand: Nike",
            seo_keywords=("nike", "sneakers", "red"),
        ),
        price=PriceResult(
            currency="USD", suggested_target_price=Decimal("45.00"), pricing_confidence=0.2
        ),
    )


async def test_listing_follows_the_marketplace_rules(fx_ai: OfflineAIProvider) -> None:
    ebay = await fx_ai.write_listing(_request("ebay", brand="Nike", category="Sneakers"))
    depop = await fx_ai.write_listing(_request("depop", brand="Nike", category="Sneakers"))
    offerup = await fx_ai.write_listing(_request("offerup", brand="Nike"))

    assert ebay.generated_price_suggestion == Decimal("45.00")
    assert "#" not in ebay.generated_description
    assert all("#" not in tag for tag in (*ebay.generated_tags, *depop.generated_tags))
    assert depop.generated_description.rstrip().endswith("#red")
    assert "#nike" in depop.generated_description
    assert offerup.generated_tags == ()
    assert "http" not in offerup.generated_description


async def test_consignment_gets_intake_notes(fx_ai: OfflineAIProvider) -> None:
    listing = await fx_ai.write_listing(_request("therealreal", brand="Gucci"))

    assert listing.generated_description.startswith("Intake notes for The RealReal")
    assert "- Brand: Gucci" in listing.generated_description
    assert "Condition: not stated" in listing.generated_description


async def test_etsy_listing_flags_eligibility(fx_ai: OfflineAIProvider) -> None:
    listing = await fx_ai.write_listing(_request("etsy", brand="Nike"))

    assert any("handmade" in warning for warning in listing.compliance_warnings)


@pytest.mark.parametrize(
    ("rgb", "name"),
    [
        ((255, 0, 0), "red"),
        ((0, 0, 255), "blue"),
        ((20, 30, 90), "navy"),
        ((128, 0, 128), "purple"),
        ((255, 105, 180), "pink"),
        ((120, 70, 20), "brown"),
        ((230, 210, 170), "beige"),
        ((128, 128, 128), "gray"),
        ((255, 165, 0), "orange"),
        ((255, 255, 0), "yellow"),
        ((0, 128, 128), "teal"),
    ],
)
def test_palette(rgb: tuple[int, int, int], name: str) -> None:
    assert colour_name(*rgb) == name


def _red_on_white() -> Image.Image:
    image = Image.new("RGB", (200, 150), (250, 250, 250))
    ImageDraw.Draw(image).rectangle([60, 40, 140, 110], fill=(200, 30, 40))
    return image


def _cut_out() -> Image.Image:
    image = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse([20, 20, 100, 100], fill=(20, 60, 160, 255))
    return image


def _stripes() -> Image.Image:
    image = Image.new("RGB", (90, 60))
    draw = ImageDraw.Draw(image)
    for x in range(0, 90, 10):
        draw.rectangle([x, 0, x + 4, 59], fill=(30, 160, 60))
        draw.rectangle([x + 5, 0, x + 9, 59], fill=(240, 220, 40))
    return image


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        # A plain backdrop is found on the border and left out of the vote.
        (_red_on_white, ("red", (201, 33, 43), 0.888, 0.854, True)),
        # Transparent pixels are not looked at; the cut-out is all one colour.
        (_cut_out, ("blue", (20, 60, 160), 1.0, 0.233, True)),
        # A busy border is no backdrop: every pixel votes, blended by the thumbnail.
        (_stripes, ("green", (59, 168, 57), 0.562, 0.618, False)),
    ],
)
def test_colour_measurement_of_known_images(
    image: Callable[[], Image.Image], expected: tuple[object, ...]
) -> None:
    """Dominant colour, its mean, its share, the brightness and whether a backdrop was
    dropped, pinned for images whose answer is known."""
    from reseller_adapters.ai.image_measurement import _measure_colour

    assert _measure_colour(image()) == expected
