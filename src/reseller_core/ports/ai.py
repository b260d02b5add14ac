"""The AI provider: recognise, describe, research a price, write marketplace copy."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import msgspec

from reseller_core.domain.marketplaces import MarketplaceRules
from reseller_core.ports.search import SearchMatch


class ImageInput(msgspec.Struct, frozen=True, kw_only=True):
    """One image handed to the provider: its bytes, read from storage by the pipeline."""

    image_id: str
    kind: str
    position: int
    content_type: str
    data: bytes


class ProductFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the seller (and earlier stages) know about the item."""

    product_id: str
    title: str | None = None
    brand: str | None = None
    category: str | None = None
    condition: str | None = None
    color: str | None = None
    size: str | None = None
    material: str | None = None
    ai_summary: str | None = None
    tags: tuple[str, ...] = ()


class Recognition(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    confidence_score: float
    needs_review: bool
    brand: str | None = None
    possible_model: str | None = None
    color: str | None = None
    material: str | None = None
    logo_text: str | None = None
    distinguishing_features: tuple[str, ...] = ()
    field_confidence: dict[str, float] = msgspec.field(default_factory=dict)
    missing_information: tuple[str, ...] = ()
    observations: dict[str, Any] = msgspec.field(default_factory=dict)


class Reconciliation(msgspec.Struct, frozen=True, kw_only=True):
    """Recognition checked against visual-search matches (spec 30 §6.4)."""

    same_model_family: bool
    short_card_description: str
    most_likely_model: str | None = None
    review_notes: tuple[str, ...] = ()


class PriceEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """What search found before pricing (spec 30 §6.7): the price research's grounding.

    ``shopping_query`` is None when no shopping search ran (nothing to search for, or no
    search provider); the matches are then empty.
    """

    shopping_query: str | None = None
    lens_matches: tuple[SearchMatch, ...] = ()
    shopping_matches: tuple[SearchMatch, ...] = ()


class DescriptionResult(msgspec.Struct, frozen=True, kw_only=True):
    suggested_title: str
    short_description: str
    long_description: str | None = None
    key_features: tuple[str, ...] = ()
    seo_keywords: tuple[str, ...] = ()
    missing_details_warning: str | None = None


class PriceResult(msgspec.Struct, frozen=True, kw_only=True):
    currency: str
    suggested_target_price: Decimal
    pricing_confidence: float
    suggested_min_price: Decimal | None = None
    suggested_max_price: Decimal | None = None
    suggested_median_price: Decimal | None = None
    rationale_summary: str | None = None
    market_signals: tuple[str, ...] = ()
    comparable_results: tuple[dict[str, Any], ...] = ()
    search_error: str | None = None


class ListingTarget(Protocol):
    """The marketplace a listing is written for: a catalogue entry or its adapter."""

    @property
    def id(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def rules(self) -> MarketplaceRules: ...


class ListingRequest(msgspec.Struct, frozen=True, kw_only=True):
    marketplace: str
    label: str
    rules: MarketplaceRules
    facts: ProductFacts
    description: DescriptionResult
    price: PriceResult | None

    @classmethod
    def for_marketplace(
        cls,
        marketplace: ListingTarget,
        *,
        facts: ProductFacts,
        description: DescriptionResult,
        price: PriceResult | None,
    ) -> ListingRequest:
        """What the pipeline hands ``write_listing`` for ``marketplace`` (spec 30 §6.8)."""
        return cls(
            marketplace=marketplace.id,
            label=marketplace.label,
            rules=marketplace.rules,
            facts=facts,
            description=description,
            price=price,
        )


class ListingResult(msgspec.Struct, frozen=True, kw_only=True):
    generated_title: str
    generated_description: str
    generated_price_suggestion: Decimal
    generated_tags: tuple[str, ...] = ()
    compliance_warnings: tuple[str, ...] = ()
    generation_version: str | None = None


INVALID_IMAGE = "invalid_image"
"""``AIProviderError.code`` for one input that is not a decodable image of an allowed type.

``details["image_id"]`` names the image. The pipeline marks that image ``failed`` and
retries recognition with the remaining inputs (decision Q-M4); it is never a run error code.
"""


class AIProviderError(Exception):
    """A provider failure, already classified into a run error code (or ``INVALID_IMAGE``)."""

    def __init__(
        self, code: str, message: str, *, retryable: bool, details: dict[str, Any] | None = None
    ) -> None:
        self.code = code
        self.retryable = retryable
        self.details = details or {}
        super().__init__(message)

    @classmethod
    def no_recognition_images(cls) -> AIProviderError:
        """What ``recognize`` raises when it is handed no image at all (not retryable)."""
        return cls("no_recognition_images", "No image was given to recognise.", retryable=False)


@runtime_checkable
class AIProvider(Protocol):
    """Recognition, copy and price research (spec 30 §6).

    An adapter whose calls cost nothing declares ``free = True`` (see
    ``reseller_core.ports.usage.MeteredProvider``): its calls count against no daily ceiling.
    """

    name: str
    model: str
    offline: bool

    async def recognize(self, images: Sequence[ImageInput], facts: ProductFacts) -> Recognition:
        """Report what the images show; unknown facts stay None, never guessed.

        Raises ``AIProviderError(INVALID_IMAGE, details={"image_id": ...})`` for an input
        whose bytes are not a real image of an allowed type.
        """
        ...

    async def reconcile(
        self, recognition: Recognition, matches: Sequence[SearchMatch]
    ) -> Reconciliation:
        """Compare the recognition with visual-search matches (spec 30 §6.4).

        ``same_model_family`` is False when the matches show a different item;
        ``review_notes`` lists what the seller should check (any note sends the product to
        review).
        """
        ...

    async def describe(
        self, facts: ProductFacts, recognition: Recognition
    ) -> DescriptionResult: ...

    async def research_price(
        self,
        facts: ProductFacts,
        recognition: Recognition,
        evidence: PriceEvidence | None = None,
    ) -> PriceResult:
        """Secondhand price research, grounded in ``evidence`` when search found any."""
        ...

    async def write_listing(self, request: ListingRequest) -> ListingResult: ...
