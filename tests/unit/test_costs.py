"""Cost estimation (spec 10 §5.5) and the usage a metered call collects."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from reseller_core.domain.costs import (
    FALLBACK_RATE,
    IMAGE_EDIT_COST,
    SEARCH_CALL_COST,
    ProviderUsage,
    estimate_cost,
    model_rate,
)
from reseller_core.ports.usage import collect_usage, report_usage


def test_longest_prefix_wins_and_vendor_prefix_is_ignored() -> None:
    assert model_rate("google-gla:gemini-2.0-pro-exp").input_per_million == Decimal("1.25")
    assert model_rate("gemini-2.5-flash-image-preview") == FALLBACK_RATE
    assert model_rate("openai:gpt-4o-mini") == FALLBACK_RATE


def test_token_cost_per_million() -> None:
    usage = ProviderUsage(model="gemini-2.0-pro", input_tokens=2_000_000, output_tokens=100_000)
    assert estimate_cost([usage]) == Decimal("3.50000000")
    flash = ProviderUsage(model="gemini-2.5-flash", input_tokens=1000, output_tokens=500)
    assert estimate_cost([flash]) == Decimal("0.00030000")


def test_flat_costs_add_up() -> None:
    usages = [
        ProviderUsage(flat_cost_usd=SEARCH_CALL_COST),
        ProviderUsage(flat_cost_usd=IMAGE_EDIT_COST),
    ]
    assert estimate_cost(usages) == Decimal("0.01250000")
    assert estimate_cost([]) == Decimal("0E-8")


async def test_usage_is_collected_only_inside_the_block() -> None:
    report_usage(ProviderUsage(model="ignored"))  # nobody meters: dropped

    async def call() -> None:
        await asyncio.sleep(0)
        report_usage(ProviderUsage(model="gemini-2.5-flash", input_tokens=10))

    with collect_usage() as collected:
        await call()
    assert collected == [ProviderUsage(model="gemini-2.5-flash", input_tokens=10)]
