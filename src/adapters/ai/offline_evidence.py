"""What the offline provider makes of search evidence: name comparison and listed prices.

It cannot look at a match's photo, so reconciliation compares names only and always
leaves a review note saying so; pricing from shopping results takes the median listed
price of the matches in the working currency, with a confidence that keeps it in review
(listed prices are asking prices of items it cannot verify are the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from statistics import median
from typing import Final

from reseller_core.domain.text import collapse_spaces
from reseller_core.ports import PriceEvidence, PriceResult, Recognition, Reconciliation
from reseller_core.ports.search import SearchMatch

EVIDENCE_PRICE_CONFIDENCE: Final = 0.4
"""Below the 0.6 ``generated`` threshold: unverified asking prices always go to review."""

MIN_PRICED_MATCHES: Final = 3
"""Fewer priced shopping matches than this are too few to take a median of."""

_CENTS = Decimal("0.01")


def reconcile_by_names(recognition: Recognition, matches: Sequence[SearchMatch]) -> Reconciliation:
    """Same family when a match names the recognised brand; always a note to check."""
    brand = collapse_spaces(recognition.brand)
    model = collapse_spaces(recognition.possible_model)
    haystacks = [f"{match.brand or ''} {match.title}".casefold() for match in matches]
    same = brand is not None and any(brand.casefold() in text for text in haystacks)
    notes = [
        "Offline provider: the search matches were compared by name only; "
        "check that they show the same item."
    ]
    if brand is None:
        notes.append("The brand is unknown, so no match could be confirmed.")
    elif not same:
        notes.append(f"No search match names the brand {brand}.")
    card = " ".join(part for part in (brand, model, collapse_spaces(recognition.category)) if part)
    return Reconciliation(
        same_model_family=same,
        short_card_description=card or "Item",
        most_likely_model=model,
        review_notes=tuple(notes),
    )


def price_from_evidence(evidence: PriceEvidence | None, currency: str) -> PriceResult | None:
    """The median listed price of the shopping matches in ``currency``, or None if too few."""
    if evidence is None:
        return None
    prices = sorted(
        match.price
        for match in evidence.shopping_matches
        if match.price is not None
        and match.price > 0
        and (match.currency or currency).upper() == currency
    )
    if len(prices) < MIN_PRICED_MATCHES:
        return None
    middle = Decimal(median(prices)).quantize(_CENTS)
    query = evidence.shopping_query or ""
    return PriceResult(
        currency=currency,
        suggested_target_price=middle,
        pricing_confidence=EVIDENCE_PRICE_CONFIDENCE,
        suggested_min_price=prices[0].quantize(_CENTS),
        suggested_max_price=prices[-1].quantize(_CENTS),
        suggested_median_price=middle,
        rationale_summary=(
            f"Offline provider: the median of {len(prices)} listed prices that a shopping "
            f"search for {query!r} found. Listed prices are asking prices of items not "
            "checked to be the same; compare sold listings before pricing."
        ),
        market_signals=(
            f"{len(prices)} shopping results priced {prices[0]:.2f}-{prices[-1]:.2f} {currency}",
        ),
        comparable_results=tuple(
            {
                "title": match.title,
                "price": None if match.price is None else f"{match.price:.2f}",
                "url": match.url,
                "source_domain": match.source_domain,
                "source": match.source,
            }
            for match in evidence.shopping_matches[:10]
        ),
    )
