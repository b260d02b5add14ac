"""Cost estimation of provider calls (spec 10 §5.5), written to every provider-call row.

LLM rates are per million tokens, chosen by the longest model-name prefix that matches
(``gemini-2.5-flash-image`` before ``gemini-2.5-flash``); unknown models get the fallback
rate. A vendor prefix (``google-gla:``, ``openai:``) is ignored. Money is Decimal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final

import msgspec


class ProviderUsage(msgspec.Struct, frozen=True, kw_only=True):
    """What one request to a hosted service consumed.

    LLM calls report the model and the token counts the vendor returned; flat-priced
    services (search, background removal) report ``flat_cost_usd`` per request.
    """

    model: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    images: int = 0
    flat_cost_usd: Decimal | None = None


class ModelRate(msgspec.Struct, frozen=True, kw_only=True):
    input_per_million: Decimal
    output_per_million: Decimal
    per_image: Decimal = Decimal(0)


FALLBACK_RATE: Final = ModelRate(
    input_per_million=Decimal("0.10"), output_per_million=Decimal("0.40")
)

LLM_RATES: Final[Mapping[str, ModelRate]] = {
    "gemini-2.5-flash": FALLBACK_RATE,
    "gemini-3.5-flash-lite": FALLBACK_RATE,
    "gemini-2.5-flash-image": FALLBACK_RATE,
    "gemini-2.0-pro": ModelRate(
        input_per_million=Decimal("1.25"), output_per_million=Decimal("10.00")
    ),
}

SEARCH_CALL_COST: Final = Decimal("0.0025")
"""USD per search request (Lens or Shopping)."""

IMAGE_EDIT_COST: Final = Decimal("0.01")
"""USD per background removal."""

_MILLION: Final = Decimal(1_000_000)
_PLACES: Final = Decimal("0.00000001")
"""``cost_usd`` is stored as decimal(12, 8)."""


def model_rate(model: str, rates: Mapping[str, ModelRate] = LLM_RATES) -> ModelRate:
    """The rate of the longest prefix of ``model`` (vendor prefix removed) in ``rates``."""
    name = model.split(":", 1)[-1].strip().casefold()
    best: str | None = None
    for prefix in rates:
        if name.startswith(prefix.casefold()) and (best is None or len(prefix) > len(best)):
            best = prefix
    return rates[best] if best is not None else FALLBACK_RATE


def usage_cost(usage: ProviderUsage, rates: Mapping[str, ModelRate] = LLM_RATES) -> Decimal:
    """Estimated USD for one reported usage."""
    cost = usage.flat_cost_usd or Decimal(0)
    if usage.model is not None:
        rate = model_rate(usage.model, rates)
        cost += (
            Decimal(max(0, usage.input_tokens)) * rate.input_per_million
            + Decimal(max(0, usage.output_tokens)) * rate.output_per_million
        ) / _MILLION + Decimal(max(0, usage.images)) * rate.per_image
    return cost


def estimate_cost(
    usages: Iterable[ProviderUsage], rates: Mapping[str, ModelRate] = LLM_RATES
) -> Decimal:
    """Estimated USD for everything one call reported, rounded to the stored 8 places."""
    total = sum((usage_cost(usage, rates) for usage in usages), Decimal(0))
    return total.quantize(_PLACES)
