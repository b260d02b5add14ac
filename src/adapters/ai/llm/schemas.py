"""The JSON schemas the LLM answers against (spec 30 §6.3-§6.8), and their conversion.

Each operation's output is a pydantic model handed to Pydantic AI as the output type, so
every vendor is asked for the same JSON schema and the answer is validated before the
core sees it. Conversion to the ports' structs applies the rules a model may bend: the
seller's brand, category and material win, texts are clipped to the spec's limits, prices
become exact non-negative Decimals in order, confidences stay in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, Field

from reseller_core.domain.listing_rules import shorten_at_word
from reseller_core.ports import (
    DescriptionResult,
    ListingResult,
    PriceResult,
    ProductFacts,
    Recognition,
    Reconciliation,
)

_CENTS = Decimal("0.01")
TITLE_MAX = 160
TEXT_MAX = 500
LIST_MAX = 30
"""Lists longer than this are cut: a model that loops does not fill the database."""


class RecognitionOutput(BaseModel):
    """Visible facts of the item in the photos; unknown facts are null (spec 30 §6.3)."""

    category: str = Field(description="Item type, e.g. 'sneakers', 'handbag', 'desk lamp'.")
    brand: str | None = Field(default=None, description="Only if a logo or label shows it.")
    possible_model: str | None = None
    color: str | None = None
    material: str | None = None
    logo_text: str | None = Field(default=None, description="Text printed on the item.")
    distinguishing_features: list[str] = Field(default_factory=list)
    confidence_score: float = Field(description="0..1: how sure the identification is.")
    field_confidence: dict[str, float] = Field(default_factory=dict)
    needs_review: bool = Field(description="True when a seller must check the facts.")
    missing_information: list[str] = Field(default_factory=list)


class ReconciliationOutput(BaseModel):
    """The recognition checked against visual-search matches (spec 30 §6.4)."""

    most_likely_model: str | None = None
    same_model_family: bool = Field(description="Do the matches show the same item family?")
    short_card_description: str = Field(description="A short factual name for the item card.")
    review_notes: list[str] = Field(default_factory=list)


class DescriptionOutput(BaseModel):
    """A description draft (spec 30 §6.6)."""

    suggested_title: str = Field(description=f"At most {TITLE_MAX} characters.")
    short_description: str = Field(description=f"At most {TEXT_MAX} characters.")
    long_description: str | None = None
    key_features: list[str] = Field(default_factory=list)
    seo_keywords: list[str] = Field(default_factory=list)
    missing_details_warning: str | None = Field(
        default=None, description="What the seller should add; null when nothing is missing."
    )


class ComparableOutput(BaseModel):
    title: str | None = None
    marketplace: str | None = None
    price: float | None = None
    condition: str | None = None
    url: str | None = None
    source_domain: str | None = None
    source: str | None = None


class PriceOutput(BaseModel):
    """Secondhand resale price research (spec 30 §6.7)."""

    currency: str = Field(default="USD", description="ISO 4217 code, e.g. USD.")
    suggested_min_price: float | None = None
    suggested_target_price: float = Field(description="The suggested asking price.")
    suggested_max_price: float | None = None
    suggested_median_price: float | None = None
    pricing_confidence: float = Field(description="0..1")
    rationale_summary: str | None = None
    market_signals: list[str] = Field(default_factory=list)
    comparable_results: list[ComparableOutput] = Field(default_factory=list)


class ListingOutput(BaseModel):
    """Marketplace copy (spec 30 §6.8)."""

    generated_title: str
    generated_description: str
    generated_tags: list[str] = Field(default_factory=list, description="Plain keywords, no #.")
    generated_price_suggestion: float = Field(description="Asking price, not negative.")
    compliance_warnings: list[str] = Field(default_factory=list)


def _text(value: str | None, limit: int | None = None) -> str | None:
    collapsed = " ".join((value or "").split())
    if not collapsed:
        return None
    return shorten_at_word(collapsed, limit) if limit is not None else collapsed


def _texts(values: Sequence[str], limit: int = TEXT_MAX) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for value in values[:LIST_MAX]:
        text = _text(value, limit)
        if text is not None and text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return tuple(kept)


def _fraction(value: float | None) -> float:
    if value is None or not math.isfinite(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def _money(value: float | None) -> Decimal | None:
    if value is None or not math.isfinite(value) or value < 0:
        return None
    try:
        return Decimal(str(value)).quantize(_CENTS)
    except InvalidOperation:
        return None


def to_recognition(output: RecognitionOutput, facts: ProductFacts) -> Recognition:
    """The seller's brand, category and material are restated, never replaced."""
    category = _text(facts.category) or _text(output.category, 120) or ""
    confidence = {
        str(name): _fraction(value) for name, value in list(output.field_confidence.items())[:20]
    }
    return Recognition(
        category=category,
        confidence_score=_fraction(output.confidence_score),
        needs_review=bool(output.needs_review or not category),
        brand=_text(facts.brand) or _text(output.brand, 120),
        possible_model=_text(output.possible_model, 160),
        color=_text(output.color, 60),
        material=_text(facts.material) or _text(output.material, 120),
        logo_text=_text(output.logo_text, 160),
        distinguishing_features=_texts(output.distinguishing_features, 200),
        field_confidence=confidence,
        missing_information=_texts(output.missing_information, 200),
    )


def to_reconciliation(output: ReconciliationOutput, fallback_card: str) -> Reconciliation:
    return Reconciliation(
        same_model_family=bool(output.same_model_family),
        short_card_description=_text(output.short_card_description, TITLE_MAX) or fallback_card,
        most_likely_model=_text(output.most_likely_model, 160),
        review_notes=_texts(output.review_notes),
    )


def to_description(output: DescriptionOutput, fallback_title: str) -> DescriptionResult:
    title = _text(output.suggested_title, TITLE_MAX) or fallback_title
    return DescriptionResult(
        suggested_title=title,
        short_description=_text(output.short_description, TEXT_MAX) or title,
        long_description=(output.long_description or "").strip() or None,
        key_features=_texts(output.key_features, 200),
        seo_keywords=_texts(output.seo_keywords, 80),
        missing_details_warning=_text(output.missing_details_warning, TEXT_MAX),
    )


def _comparable(item: ComparableOutput) -> dict[str, Any]:
    price = _money(item.price)
    values: dict[str, Any] = {
        "title": _text(item.title, 200),
        "marketplace": _text(item.marketplace, 80),
        "price": None if price is None else f"{price:.2f}",
        "condition": _text(item.condition, 80),
        "url": item.url if item.url and item.url.startswith(("http://", "https://")) else None,
        "source_domain": _text(item.source_domain, 120),
        "source": _text(item.source, 120),
    }
    return {key: value for key, value in values.items() if value is not None}


def to_price(output: PriceOutput) -> PriceResult:
    """Exact prices with min ≤ target ≤ max; an unusable currency becomes USD."""
    currency = (output.currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        currency = "USD"
    target = _money(output.suggested_target_price) or Decimal("0.00")
    low = _money(output.suggested_min_price)
    high = _money(output.suggested_max_price)
    return PriceResult(
        currency=currency,
        suggested_target_price=target,
        pricing_confidence=_fraction(output.pricing_confidence),
        suggested_min_price=None if low is None else min(low, target),
        suggested_max_price=None if high is None else max(high, target),
        suggested_median_price=_money(output.suggested_median_price),
        rationale_summary=(output.rationale_summary or "").strip() or None,
        market_signals=_texts(output.market_signals),
        comparable_results=tuple(
            _comparable(item) for item in output.comparable_results[:LIST_MAX]
        ),
    )


def to_listing(output: ListingOutput, model: str, fallback_price: Decimal) -> ListingResult:
    tags = _texts([tag.replace("#", " ") for tag in output.generated_tags], 80)
    price = _money(output.generated_price_suggestion)
    return ListingResult(
        generated_title=_text(output.generated_title, TITLE_MAX) or "Item",
        generated_description=output.generated_description.strip() or "—",
        generated_price_suggestion=fallback_price if price is None else price,
        generated_tags=tags,
        compliance_warnings=_texts(output.compliance_warnings),
        generation_version=model,
    )
