"""The offline AI provider: deterministic, no network, honest about what it cannot know.

It is the embedded default, so a fresh install can take a product from photos to listings
with no API key. It only reports what it can measure from the image bytes (dimensions,
orientation, dominant colour, brightness) and what the seller typed (brand, category,
title, condition...). It never guesses a brand, model, material or condition: unknown stays
None, and the result says what is missing so the product lands in ``review``.

Same inputs give the same outputs: no randomness, no clock, no network.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from reseller_adapters.ai.image_measurement import ImageMeasurement, measure_image
from reseller_adapters.ai.offline_evidence import price_from_evidence, reconcile_by_names
from reseller_adapters.image_decoding import DEFAULT_MAX_IMAGE_PIXELS
from reseller_core.domain.listing_rules import shorten_at_word
from reseller_core.domain.text import collapse_spaces, dedupe
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
from reseller_core.ports.search import SearchMatch

TRUSTED_COLOUR_CONFIDENCE: Final = 0.6
"""Colour confidence when the item stood out from a plain backdrop (or a cut-out); below
it the describer does not put the measured colour into copy."""

PRICE_HEURISTICS: Final[tuple[tuple[str, tuple[str, ...], Decimal], ...]] = (
    ("footwear", ("sneaker", "shoe", "boot", "heel", "sandal", "loafer", "trainer"), Decimal(45)),
    ("outerwear", ("jacket", "coat", "blazer", "outerwear", "parka", "vest"), Decimal(40)),
    ("bags", ("handbag", "purse", "bag", "backpack", "tote", "wallet", "clutch"), Decimal(35)),
    ("dresses", ("dress", "skirt", "jumpsuit", "romper"), Decimal(25)),
    ("bottoms", ("jeans", "denim", "pants", "trousers", "shorts", "leggings"), Decimal(22)),
    (
        "tops",
        ("shirt", "tee", "top", "blouse", "sweater", "hoodie", "sweatshirt", "cardigan"),
        Decimal(18),
    ),
    (
        "jewellery and watches",
        ("watch", "jewelry", "jewellery", "necklace", "ring", "bracelet", "earring"),
        Decimal(30),
    ),
    (
        "electronics",
        ("phone", "laptop", "tablet", "camera", "console", "headphone", "speaker", "electronic"),
        Decimal(80),
    ),
    (
        "furniture and decor",
        ("chair", "table", "lamp", "desk", "sofa", "furniture", "shelf", "decor", "mirror"),
        Decimal(60),
    ),
    ("books, toys and games", ("book", "toy", "game", "puzzle"), Decimal(10)),
)
"""Typical secondhand medians (USD) per category keyword: a fixed offline heuristic, not
market data. The first group with a whole-word match in the category wins."""

DEFAULT_HEURISTIC_PRICE: Final = Decimal(20)
PRICE_CONFIDENCE_KEYWORD: Final = 0.2
PRICE_CONFIDENCE_DEFAULT: Final = 0.1
"""Far below the 0.6 ``generated`` threshold: an offline price always goes to review."""

_CENTS = Decimal("0.01")
_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset({"a", "an", "and", "the", "of", "for", "with", "in", "on", "to", "by"})


def _words(text: str) -> list[str]:
    return [word.casefold() for word in _WORD.findall(text)]


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@dataclass(frozen=True, slots=True)
class _Known:
    """The facts the offline provider may state: the seller's, else measured colour."""

    title: str | None
    brand: str | None
    category: str | None
    colour: str | None
    material: str | None
    condition: str | None
    size: str | None

    @classmethod
    def from_inputs(cls, facts: ProductFacts, recognition: Recognition) -> _Known:
        # A measured colour is only stated when the backdrop could be told apart from the
        # item; a frame-filling photo's colour may be the background's.
        measured = (
            collapse_spaces(recognition.color)
            if recognition.field_confidence.get("color", 0.0) >= TRUSTED_COLOUR_CONFIDENCE
            else None
        )
        return cls(
            title=collapse_spaces(facts.title),
            brand=collapse_spaces(facts.brand) or collapse_spaces(recognition.brand),
            category=collapse_spaces(facts.category) or collapse_spaces(recognition.category),
            colour=collapse_spaces(facts.color) or measured,
            material=collapse_spaces(facts.material) or collapse_spaces(recognition.material),
            condition=collapse_spaces(facts.condition),
            size=collapse_spaces(facts.size),
        )

    def item_name(self) -> str:
        """A title built from known facts only: "Nike Blue Sneakers", "Blue item", "Item"."""
        parts = [
            part
            for part in (self.brand, self.colour and self.colour.title(), self.category)
            if part
        ]
        if not self.category:
            parts.append("item" if parts else "Item")
        return " ".join(parts)

    def missing(self) -> list[str]:
        names = [
            ("brand", self.brand),
            ("category", self.category),
            ("condition", self.condition),
        ]
        return [name for name, value in names if not value]

    def feature_lines(self) -> list[str]:
        pairs = (
            ("Brand", self.brand),
            ("Category", self.category),
            ("Color", self.colour),
            ("Material", self.material),
            ("Size", self.size),
            ("Condition", self.condition),
        )
        return [f"{label}: {value}" for label, value in pairs if value]


class OfflineAIProvider:
    """``AIProvider`` that works without a network: measured image facts + seller facts."""

    name = "offline"
    free = True
    """Its calls reach no paid service: not priced, not counted against a daily ceiling."""
    model = "offline-v1"
    offline = True

    def __init__(self, *, max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS) -> None:
        self.max_image_pixels = max_image_pixels
        """Images declaring more pixels are refused as invalid before they are decoded."""

    async def recognize(self, images: Sequence[ImageInput], facts: ProductFacts) -> Recognition:
        """Measure every image (decoding off the event loop) and restate the seller's facts.

        The first image (the pipeline's highest-priority input) supplies the colour.
        """
        if not images:
            raise AIProviderError.no_recognition_images()
        measurements: list[ImageMeasurement] = []
        for image_input in images:
            measurements.append(
                await asyncio.to_thread(
                    measure_image, image_input, max_pixels=self.max_image_pixels
                )
            )
        primary = measurements[0]
        brand = collapse_spaces(facts.brand)
        category = collapse_spaces(facts.category)
        missing = [name for name, value in (("category", category), ("brand", brand)) if not value]
        confidence = 0.5 + (0.15 if category else 0.0) + (0.15 if brand else 0.0)
        field_confidence: dict[str, float] = {}
        if primary.colour is not None:
            field_confidence["color"] = (
                TRUSTED_COLOUR_CONFIDENCE if primary.background_excluded else 0.4
            )
        if brand:
            field_confidence["brand"] = 1.0
        if category:
            field_confidence["category"] = 1.0
        features = (f"Predominantly {primary.colour} in the photos",) if primary.colour else ()
        # Each image's own measurements, the primary first; which facts came from the seller
        # is already in field_confidence (1.0), so nothing is stated twice.
        observations: dict[str, Any] = {
            "offline": True,
            "images": [measurement.as_observation() for measurement in measurements],
        }
        return Recognition(
            category=category or "",
            confidence_score=round(confidence, 2),
            needs_review=bool(missing),
            brand=brand,
            possible_model=None,
            color=primary.colour,
            material=collapse_spaces(facts.material),
            logo_text=None,
            distinguishing_features=features,
            field_confidence=field_confidence,
            missing_information=tuple(missing),
            observations=observations,
        )

    async def reconcile(
        self, recognition: Recognition, matches: Sequence[SearchMatch]
    ) -> Reconciliation:
        """Names compared only (it cannot see the matches' photos): always a review note."""
        return reconcile_by_names(recognition, matches)

    async def describe(self, facts: ProductFacts, recognition: Recognition) -> DescriptionResult:
        """Title and copy from known facts only; the warning names what the seller should add."""
        known = _Known.from_inputs(facts, recognition)
        title = shorten_at_word(known.title or known.item_name(), 160)
        subject = known.item_name() if known.title is None else known.title
        sentences = [f"{subject}."]
        if known.condition:
            sentences.append(f"Condition: {known.condition}.")
        if known.colour:
            sentences.append(f"Color: {known.colour}.")
        if known.size:
            sentences.append(f"Size: {known.size}.")
        if known.material:
            sentences.append(f"Material: {known.material}.")
        short = shorten_at_word(" ".join(sentences), 500)
        features = known.feature_lines()
        long_parts = [short]
        if features:
            long_parts.append("\n".join(f"- {line}" for line in features))
        summary = collapse_spaces(facts.ai_summary)
        if summary and summary.casefold() not in short.casefold():
            long_parts.append(summary)
        missing = known.missing()
        warning = None
        if missing:
            pronoun = "it" if len(missing) == 1 else "them"
            warning = shorten_at_word(
                f"Add the {_join_names(missing)} before listing: the offline provider cannot "
                f"tell {pronoun} from the photos, and buyers expect {pronoun}.",
                500,
            )
        keywords = dedupe(
            [
                value.casefold()
                for value in (known.brand, known.category, known.colour, known.material)
                if value
            ]
            + [
                word
                for word in _words(known.title or "")
                if len(word) > 2 and word not in _STOPWORDS
            ],
            ignore_case=True,
        )[:10]
        return DescriptionResult(
            suggested_title=title,
            short_description=short,
            long_description="\n\n".join(long_parts),
            key_features=tuple(features),
            seo_keywords=keywords,
            missing_details_warning=warning,
        )

    async def research_price(
        self,
        facts: ProductFacts,
        recognition: Recognition,
        evidence: PriceEvidence | None = None,
    ) -> PriceResult:
        """Listed shopping prices when search found enough, else a labelled heuristic."""
        from_evidence = price_from_evidence(evidence, "USD")
        if from_evidence is not None:
            return from_evidence
        category = collapse_spaces(facts.category) or collapse_spaces(recognition.category)
        words = {_singular(word) for word in _words(category or "")}
        group = None
        keyword = None
        target = DEFAULT_HEURISTIC_PRICE
        for name, keywords, median in PRICE_HEURISTICS:
            hit = next((k for k in keywords if k in words), None)
            if hit is not None:
                group, keyword, target = name, hit, median
                break
        if group is None:
            basis = (
                f"the category {category!r} matches no keyword of the heuristic table"
                if category
                else "no category is known"
            )
            signal = f"heuristic: generic secondhand median of {target:.2f} USD ({basis})"
            confidence = PRICE_CONFIDENCE_DEFAULT
        else:
            basis = f"the category keyword {keyword!r} ({group})"
            signal = (
                f"heuristic: typical secondhand median for {group} is about {target:.2f} USD "
                "(fixed offline table)"
            )
            confidence = PRICE_CONFIDENCE_KEYWORD
        rationale = (
            "Offline provider: no market data was consulted; the target is a fixed heuristic "
            f"median for {basis}, not a market price. Check comparable sold listings before "
            "pricing."
        )
        return PriceResult(
            currency="USD",
            suggested_target_price=target.quantize(_CENTS),
            pricing_confidence=confidence,
            suggested_min_price=(target * Decimal("0.6")).quantize(_CENTS),
            suggested_max_price=(target * Decimal("1.5")).quantize(_CENTS),
            suggested_median_price=target.quantize(_CENTS),
            rationale_summary=rationale,
            market_signals=(signal, "no market data consulted (offline provider)"),
            comparable_results=(),
        )

    async def write_listing(self, request: ListingRequest) -> ListingResult:
        """Template copy following the marketplace's rules; the shaper enforces the limits."""
        rules = request.rules
        description = request.description
        tags = _listing_tags(request)
        if rules.intake_notes:
            body = _intake_notes(request)
        elif rules.model.startswith("peer-to-peer"):
            body = (
                f"{description.short_description}\n\n"
                f"Message me through {request.label} with any questions."
            )
        else:
            body = description.long_description or description.short_description
        if rules.hashtags_in_description > 0 and tags:
            hashtags = dedupe(
                ["#" + "".join(_words(tag)) for tag in tags if _words(tag)], ignore_case=True
            )[: rules.hashtags_in_description]
            body = f"{body}\n\n{' '.join(hashtags)}"
        warnings: list[str] = []
        if rules.flags_eligibility:
            warnings.append(
                f"{request.label} accepts only handmade, vintage (20+ years old) or craft-supply "
                "items: confirm this item qualifies before listing."
            )
        if description.missing_details_warning:
            warnings.append(description.missing_details_warning)
        price = request.price.suggested_target_price if request.price else Decimal("0.00")
        return ListingResult(
            generated_title=description.suggested_title,
            generated_description=body,
            generated_price_suggestion=price,
            generated_tags=tags[: max(0, rules.tags_max)],
            compliance_warnings=tuple(warnings),
            generation_version=self.model,
        )


def _join_names(names: Sequence[str]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _listing_tags(request: ListingRequest) -> tuple[str, ...]:
    """Plain keywords (never ``#``) from the facts and the description's SEO keywords."""
    facts = request.facts
    values = [
        value
        for value in (facts.brand, facts.category, facts.color, facts.material)
        if value and value.strip()
    ]
    values.extend(request.description.seo_keywords)
    values.extend(facts.tags)
    return dedupe(
        [" ".join(value.replace("#", " ").split()).casefold() for value in values], ignore_case=True
    )


def _intake_notes(request: ListingRequest) -> str:
    """Routing notes for a consignment team rather than storefront copy (spec 30 §7)."""
    facts = request.facts
    description = request.description
    lines = [f"Intake notes for {request.label} consignment (not public copy):"]
    for label, value in (
        ("Item", description.suggested_title),
        ("Brand", facts.brand),
        ("Category", facts.category),
        ("Color", facts.color),
        ("Material", facts.material),
        ("Size", facts.size),
    ):
        if value and value.strip():
            lines.append(f"- {label}: {value.strip()}")
    lines.append(
        f"- Condition: {facts.condition.strip()}"
        if facts.condition and facts.condition.strip()
        else "- Condition: not stated; inspect on arrival"
    )
    lines.append("- Authenticity: not verified; route through authentication as usual")
    return "\n".join(lines)
