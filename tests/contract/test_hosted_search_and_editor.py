"""SerpApi search and Photoroom background removal, each against a loopback fake of its API.

Both adapters pass their port's conformance suite over real HTTP; the tests around them
show the request each sends, the failures they report and that no key leaks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest

from reseller_adapters.images.photoroom import PhotoroomImageEditor
from reseller_adapters.search.serpapi import SerpApiSearchProvider
from reseller_core.domain.costs import ProviderUsage
from reseller_core.ports.images import ImageEditor, ImageEditorError
from reseller_core.ports.search import SearchProvider, SearchProviderError
from reseller_core.ports.usage import collect_usage
from reseller_core.testing.conformance.image_editor import (
    ImageEditorConformance,
    SampleImage,
    product_png,
)
from reseller_core.testing.conformance.search_provider import QUERY, SearchProviderConformance
from tests.images import product_photo
from tests.service_fakes import PHOTOROOM_KEY, SERP_KEY, PhotoroomFake, SerpApiFake


@pytest.fixture
def serp() -> Iterator[SerpApiFake]:
    fake = SerpApiFake()
    yield fake
    fake.stop()


@pytest.fixture
def photoroom() -> Iterator[PhotoroomFake]:
    fake = PhotoroomFake()
    yield fake
    fake.stop()


class TestSerpApiConformance(SearchProviderConformance):
    deterministic = True
    can_fail = True

    @pytest.fixture
    def search(self, serp: SerpApiFake) -> SearchProvider:
        self._fake = serp
        return SerpApiSearchProvider(SERP_KEY, base_url=serp.base_url, timeout_s=2)

    async def provoke_failure(self, search: SearchProvider) -> None:
        self._fake.push(429, {"error": "Your account has run out of searches."})
        await search.shopping_matches(QUERY)


class TestPhotoroomConformance(ImageEditorConformance):
    deterministic = True

    @pytest.fixture
    def editor(self, photoroom: PhotoroomFake) -> ImageEditor:
        return PhotoroomImageEditor(PHOTOROOM_KEY, base_url=photoroom.base_url, timeout_s=5)

    def sample_images(self) -> Sequence[SampleImage]:
        return [
            *super().sample_images(),
            SampleImage("photo.jpg", product_photo("JPEG", size=(160, 120)), "image/jpeg"),
        ]


async def test_lens_sends_the_image_url_and_locale(serp: SerpApiFake) -> None:
    search = SerpApiSearchProvider(SERP_KEY, base_url=serp.base_url)
    with collect_usage() as usages:
        matches = await search.lens_matches("https://cdn.example/p/1.jpg?sig=abc")
    (query,) = serp.queries()
    assert (
        query["engine"] == "google_lens" and query["url"] == "https://cdn.example/p/1.jpg?sig=abc"
    )
    assert (query["hl"], query["gl"]) == ("en", "us")
    assert [m.title for m in matches] == [
        "Acme Trail Runner 2 Sneakers Red Canvas Size 42",
        "Acme Trail Runner red",
    ], "an untitled result is dropped"
    first = matches[0]
    assert (first.price, first.currency, first.source_domain) == (
        Decimal("45.00"),
        "USD",
        "ebay.com",
    )
    assert first.match_type == "visual_match" and not first.offline
    assert usages == [ProviderUsage(flat_cost_usd=Decimal("0.0025"))]


async def test_shopping_light_sends_the_query(serp: SerpApiFake) -> None:
    search = SerpApiSearchProvider(SERP_KEY, base_url=serp.base_url, hl="de", gl="de")
    matches = await search.shopping_matches("  Acme Trail Runner sneakers ")
    (query,) = serp.queries()
    assert query["engine"] == "google_shopping_light"
    assert query["q"] == "Acme Trail Runner sneakers"
    assert (query["hl"], query["gl"]) == ("de", "de")
    assert [m.price for m in matches] == [Decimal("38.00"), Decimal("45.50"), Decimal("52.00")]
    assert all(m.match_type == "product" and m.currency == "USD" for m in matches)


async def test_a_refused_key_is_reported_without_the_key(serp: SerpApiFake) -> None:
    search = SerpApiSearchProvider("wrong-key-123456", base_url=serp.base_url)
    with pytest.raises(SearchProviderError) as caught:
        await search.lens_matches("https://cdn.example/p/1.jpg")
    assert caught.value.retryable is False
    assert "Invalid API key" in str(caught.value)
    assert "wrong-key-123456" not in str(caught.value) + repr(caught.value.details)


async def test_a_search_timeout_is_retryable(serp: SerpApiFake) -> None:
    search = SerpApiSearchProvider(SERP_KEY, base_url="http://127.0.0.1:9", timeout_s=0.5)
    with pytest.raises(SearchProviderError) as caught:
        await search.shopping_matches(QUERY)
    assert caught.value.retryable is True
    assert SERP_KEY not in str(caught.value)


async def test_photoroom_request_asks_for_a_padded_transparent_png(
    photoroom: PhotoroomFake,
) -> None:
    editor = PhotoroomImageEditor(PHOTOROOM_KEY, base_url=photoroom.base_url)
    with collect_usage() as usages:
        edited = await editor.remove_background(product_png(), "image/heic")
    (request,) = photoroom.requests
    fields = PhotoroomFake.form(request)
    assert fields["padding"] == b"0.15"
    assert fields["removeBackground"] == b"true" and fields["export.format"] == b"png"
    assert fields["imageFile"] == product_png(), "a PNG is sent as it is"
    assert request["headers"]["x-api-key"] == PHOTOROOM_KEY
    assert edited.content_type == "image/png" and edited.data.startswith(b"\x89PNG")
    assert usages == [ProviderUsage(flat_cost_usd=Decimal("0.01"))]


async def test_photoroom_refusal_and_non_images(photoroom: PhotoroomFake) -> None:
    editor = PhotoroomImageEditor(PHOTOROOM_KEY, base_url=photoroom.base_url)
    with pytest.raises(ImageEditorError):
        await editor.remove_background(b"not an image", "image/png")
    assert photoroom.requests == [], "no paid call for a file that is no image"
    photoroom.push(402, {"detail": "Not enough credits", "status_code": 402})
    with pytest.raises(ImageEditorError) as caught:
        await editor.remove_background(product_png(), "image/png")
    assert "402" in str(caught.value) and PHOTOROOM_KEY not in str(caught.value)
    photoroom.push(200, b"GIF89a not a png", {"content-type": "image/gif"})
    with pytest.raises(ImageEditorError):
        await editor.remove_background(product_png(), "image/png")
