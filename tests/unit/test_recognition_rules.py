"""The pure recognition rules (spec 30 §6.2, §6.5) and the typed run progress."""

from __future__ import annotations

import math

import msgspec
import pytest

from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.products import Product, ProductStatus
from reseller_core.domain.recognition import (
    apply_recognition,
    needs_review,
    select_recognition_images,
)
from reseller_core.domain.text import clip, dedupe
from reseller_core.ports import Recognition
from reseller_core.services.processing.progress import RunProgress
from reseller_core.testing import FixedClock


def _image(kind: ImageKind, position: int, status: ImageStatus = ImageStatus.READY) -> ProductImage:
    now = FixedClock().now()
    return ProductImage(
        id=f"{kind.value}-{position}",
        product_id="P",
        kind=kind,
        position=position,
        storage_key=f"k/{kind.value}/{position}",
        content_type="image/png",
        processing_status=status,
        created_at=now,
        updated_at=now,
    )


def test_selection_prefers_cut_outs_and_always_keeps_an_original() -> None:
    images = [
        *(_image(ImageKind.BACKGROUND_REMOVED, p) for p in range(1, 7)),
        _image(ImageKind.ORIGINAL, 1),
        _image(ImageKind.LIFESTYLE_GENERATED, 8),
        _image(ImageKind.ORIGINAL, 9, ImageStatus.PENDING_UPLOAD),
    ]

    selected = select_recognition_images(images)

    assert [i.id for i in selected] == [
        "background_removed-1",
        "background_removed-2",
        "background_removed-3",
        "background_removed-4",
        "original-1",
    ]


def test_selection_excludes_generated_scenes_and_unusable_statuses() -> None:
    images = [
        _image(ImageKind.LIFESTYLE_GENERATED, 1),
        _image(ImageKind.BACKGROUND_REPLACED, 2),
        _image(ImageKind.ORIGINAL, 3, ImageStatus.FAILED),
    ]

    assert select_recognition_images(images) == []


def test_apply_recognition_fills_only_blank_fields() -> None:
    now = FixedClock().now()
    product = Product(
        id="P",
        user_id="U",
        status=ProductStatus.PROCESSING,
        brand="  ",
        color="navy",
        created_at=now,
        updated_at=now,
    )
    final = Recognition(
        brand="Levi's",
        category="Jeans",
        possible_model="501",
        color="blue",
        distinguishing_features=("button fly", "red tab", "straight leg", "selvedge"),
        confidence_score=0.9,
        needs_review=False,
    )

    applied = apply_recognition(product, final, now)

    assert applied.title == "Levi's 501"
    assert (applied.brand, applied.category, applied.color) == ("Levi's", "Jeans", "navy")
    assert applied.material is None
    assert applied.ai_summary == "button fly, red tab, straight leg"
    assert applied.ai_confidence == pytest.approx(0.9)
    assert apply_recognition(applied, final, now) is applied  # nothing left to change


def test_apply_recognition_fills_nothing_from_an_empty_result() -> None:
    now = FixedClock().now()
    product = Product(
        id="P", user_id="U", status=ProductStatus.PROCESSING, created_at=now, updated_at=now
    )
    empty = Recognition(category="", confidence_score=math.nan, needs_review=True)

    assert apply_recognition(product, empty, now) is product


@pytest.mark.parametrize(
    ("flagged", "score", "expected"),
    [
        (False, 0.9, False),
        (True, 0.9, True),
        (False, 0.1, True),
        (False, math.inf, True),
        (False, True, True),
    ],
)
def test_needs_review_when_flagged_or_not_confident(
    flagged: bool, score: object, expected: bool
) -> None:
    assert needs_review(flagged, score, 0.5) is expected


def test_dedupe_is_explicit_about_case() -> None:
    values = [" Red ", "red", "", "  ", "Blue", "RED"]

    assert dedupe(values, ignore_case=False) == ("Red", "red", "Blue", "RED")
    assert dedupe(values, ignore_case=True) == ("Red", "Blue")


def test_clip_cuts_at_the_limit_without_trailing_space() -> None:
    assert clip("short", 10) == "short"
    assert clip("two words", 4) == "two"


# A payload as the pipeline stored it before its progress was typed (a run that had
# committed recognition, the draft, a degraded price and one of two listings).
LEGACY_PAYLOAD = {
    "rejected_images": [{"image_id": "I1", "reason": "not an image"}],
    "pipeline_status": "recognized",
    "selected_image_count": 1,
    "final": {
        "category": "Sneakers",
        "confidence_score": 0.8,
        "needs_review": False,
        "brand": "Nike",
        "possible_model": None,
        "color": "red",
        "material": None,
        "logo_text": None,
        "distinguishing_features": ["swoosh"],
        "field_confidence": {"color": 0.7},
        "missing_information": [],
        "observations": {"offline": True},
        "external_match_count": 0,
    },
    "fallback": {"attempted": False},
    "search_matches": [],
    "description_draft": {
        "id": "D",
        "status": "generated",
        "suggested_title": "Nike Sneakers",
        "short_description": "Red sneakers.",
    },
    "price_research": {
        "status": "failed",
        "error": "shopping_search_failed",
        "search_error": "search is down",
    },
    "marketplace_listings": [
        {
            "id": "L",
            "marketplace": "depop",
            "status": "failed",
            "generated_title": None,
            "generated_price_suggestion": None,
            "error": "ai_rate_limited",
            "detail": "slow down",
        }
    ],
}


def test_a_stored_payload_decodes_and_encodes_back_unchanged() -> None:
    progress = RunProgress.from_payload(LEGACY_PAYLOAD)

    assert progress.final is not None and progress.final.brand == "Nike"
    assert progress.price_research is not None and progress.price_research.failed
    assert progress.marketplace_listings is not None
    assert progress.marketplace_listings[0].error == "ai_rate_limited"
    assert progress.variant_generation is None  # not reached: absent, not empty
    assert progress.to_payload() == LEGACY_PAYLOAD
    assert list(progress.to_payload()) == list(LEGACY_PAYLOAD)


def test_an_unreadable_part_of_a_payload_is_dropped_not_fatal() -> None:
    payload = {**LEGACY_PAYLOAD, "description_draft": "garbled", "unknown": {"kept": False}}

    progress = RunProgress.from_payload(payload)

    assert progress.description_draft is None  # that stage runs again
    assert progress.final is not None
    assert "unknown" not in progress.to_payload()


def test_an_empty_payload_is_a_run_that_has_not_started() -> None:
    progress = RunProgress.from_payload({})

    assert progress == RunProgress()
    assert progress.to_payload() == {}
    assert msgspec.json.decode(msgspec.json.encode(progress)) == {}
