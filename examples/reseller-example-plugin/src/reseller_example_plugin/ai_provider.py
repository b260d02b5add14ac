"""A rule-based AI provider: the shape of an ``AIProvider`` plugin, without a model behind it.

It states only what the seller typed, checks that every input really is an image, and
prices from a fixed band. A provider for a real model keeps the same shape: decode and
validate inputs, call the model, map its answer onto the port's result structs, and turn
every failure into ``AIProviderError`` with a run error code.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Final

from PIL import Image, UnidentifiedImageError
from reseller_core.ports import (
    AIProviderError,
    DescriptionResult,
    ImageInput,
    ListingRequest,
    ListingResult,
    PriceEvidence,
    PriceResult,
    ProductFacts,
    Recognition,
    Reconciliation,
)
from reseller_core.ports.ai import INVALID_IMAGE
from reseller_core.ports.search import SearchMatch

ACCEPTED_FORMATS: Final = ("JPEG", "MPO", "PNG", "WEBP")
"""Pillow format names this provider reads (MPO is how many phones write JPEGs)."""

PRICE_BAND: Final = (Decimal("12.00"), Decimal("20.00"), Decimal("30.00"))
"""Minimum, target and maximum of the fixed price band: a placeholder, not market data."""

_CURRENCY = re.compile(r"[A-Z]{3}")


def _clean(value: str | None) -> str | None:
    """``value`` with whitespace collapsed; None when it is missing or blank."""
    if value is None:
        return None
    return " ".join(value.split()) or None


def _clip(text: str, limit: int) -> str:
    """``text`` shortened to ``limit`` characters at a word boundary."""
    if len(text) <= limit:
        return text
    words = text[: limit + 1].split(" ")
    return " ".join(words[:-1]).rstrip(" ,;:") if len(words) > 1 else text[:limit]


@cache
def _open_formats() -> tuple[str, ...]:
    """The accepted formats this Pillow can open (``Image.open`` rejects unloaded names)."""
    Image.init()
    return tuple(name for name in ACCEPTED_FORMATS if name in Image.OPEN)


def _image_format(image: ImageInput) -> str:
    """Fully decode one input (``load()`` rejects truncated files) and return its format."""
    try:
        with Image.open(io.BytesIO(image.data), formats=_open_formats()) as opened:
            opened.load()
            return opened.format or "unknown"
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
    ) as exc:
        raise AIProviderError(
            INVALID_IMAGE,
            f"Image {image.image_id} is not a decodable JPEG, PNG or WEBP image",
            retryable=False,
            details={"image_id": image.image_id},
        ) from exc


class ExampleAIProvider:
    """``AIProvider`` built from the seller's facts; deterministic and offline."""

    name = "example"
    model = "example-rules-v1"
    offline = True

    def __init__(self, currency: str = "EUR") -> None:
        if not _CURRENCY.fullmatch(currency):
            raise ValueError(
                f"the example provider's currency must be 3 upper-case letters, got {currency!r}"
            )
        self.currency = currency

    async def recognize(self, images: Sequence[ImageInput], facts: ProductFacts) -> Recognition:
        """Check every image and restate the seller's facts; unknown facts stay unknown."""
        if not images:
            raise AIProviderError.no_recognition_images()
        formats = [await asyncio.to_thread(_image_format, image) for image in images]
        brand, category = _clean(facts.brand), _clean(facts.category)
        missing = [name for name, value in (("category", category), ("brand", brand)) if not value]
        return Recognition(
            category=category or "",
            confidence_score=0.9 if not missing else 0.4,
            needs_review=bool(missing),
            brand=brand,
            color=_clean(facts.color),
            material=_clean(facts.material),
            field_confidence={name: 1.0 for name in ("brand", "category") if name not in missing},
            missing_information=tuple(missing),
            observations={"provider": self.name, "formats": formats},
        )

    async def describe(self, facts: ProductFacts, recognition: Recognition) -> DescriptionResult:
        """A title and copy made of the known facts only, and a note of what is missing."""
        brand = _clean(facts.brand) or _clean(recognition.brand)
        category = _clean(facts.category) or _clean(recognition.category)
        title = _clean(facts.title) or " ".join(part for part in (brand, category) if part)
        title = _clip(title or "Item", 160)
        details = [
            (label, value)
            for label, value in (
                ("Brand", brand),
                ("Category", category),
                ("Color", _clean(facts.color)),
                ("Material", _clean(facts.material)),
                ("Size", _clean(facts.size)),
                ("Condition", _clean(facts.condition)),
            )
            if value
        ]
        known = dict(details)
        features = tuple(f"{label}: {value}" for label, value in details)
        sentences = [f"{title}."]
        sentences += [
            f"{label}: {known[label]}." for label in ("Condition", "Size") if label in known
        ]
        short = _clip(" ".join(sentences), 500)
        missing = [
            label.lower() for label in ("Brand", "Category", "Condition") if label not in known
        ]
        return DescriptionResult(
            suggested_title=title,
            short_description=short,
            long_description="\n".join([short, "", *(f"- {line}" for line in features)]),
            key_features=features,
            seo_keywords=tuple(dict.fromkeys(v.casefold() for _, v in details[:4])),
            missing_details_warning=(
                f"Add the {', '.join(missing)} before listing." if missing else None
            ),
        )

    async def reconcile(
        self, recognition: Recognition, matches: Sequence[SearchMatch]
    ) -> Reconciliation:
        """It cannot compare photos: the recognition stands, with a note to check the matches."""
        parts = (_clean(recognition.brand), _clean(recognition.category))
        return Reconciliation(
            same_model_family=False,
            short_card_description=" ".join(part for part in parts if part) or "Item",
            most_likely_model=_clean(recognition.possible_model),
            review_notes=(f"Example provider: {len(matches)} search match(es) left unchecked.",),
        )

    async def research_price(
        self,
        facts: ProductFacts,
        recognition: Recognition,
        evidence: PriceEvidence | None = None,
    ) -> PriceResult:
        """The fixed band, labelled as such, with a confidence that sends it to review."""
        low, target, high = PRICE_BAND
        return PriceResult(
            currency=self.currency,
            suggested_target_price=target,
            pricing_confidence=0.3,
            suggested_min_price=low,
            suggested_max_price=high,
            suggested_median_price=target,
            rationale_summary="Example provider: a fixed price band, not market data.",
            market_signals=("fixed band (example provider)",),
        )

    async def write_listing(self, request: ListingRequest) -> ListingResult:
        """Copy from the description; the marketplace adapter enforces the limits."""
        description = request.description
        body = description.long_description or description.short_description
        words = [
            "".join(ch for ch in keyword if ch.isalnum()) for keyword in description.seo_keywords
        ]
        hashtags = [f"#{word}" for word in dict.fromkeys(words) if word[:1].isalpha()]
        hashtags = hashtags[: max(0, request.rules.hashtags_in_description)]
        if hashtags:
            body = f"{body}\n\n{' '.join(hashtags)}"
        warnings: list[str] = []
        if request.price is None:
            warnings.append("No price research is available; set a price before listing.")
        if description.missing_details_warning:
            warnings.append(description.missing_details_warning)
        return ListingResult(
            generated_title=description.suggested_title,
            generated_description=body,
            generated_price_suggestion=(
                request.price.suggested_target_price if request.price else Decimal("0.00")
            ),
            generated_tags=description.seo_keywords[: max(0, request.rules.tags_max)],
            compliance_warnings=tuple(warnings),
            generation_version=self.model,
        )
