"""Simulated provider latency around any AI provider.

The offline provider answers in microseconds; a real one takes seconds. Demos, load tests
and crash-recovery tests set ``RESELLER_AI_LATENCY_S`` to see runs progress step by step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from reseller_core.ports import (
    AIProvider,
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


class LatencyAIProvider:
    """Delegates to ``inner`` after sleeping ``delay_s`` on every call."""

    def __init__(self, inner: AIProvider, delay_s: float) -> None:
        self._inner = inner
        self._delay_s = delay_s
        self.name = inner.name
        self.model = inner.model
        self.offline = inner.offline

    async def recognize(self, images: Sequence[ImageInput], facts: ProductFacts) -> Recognition:
        await asyncio.sleep(self._delay_s)
        return await self._inner.recognize(images, facts)

    async def reconcile(
        self, recognition: Recognition, matches: Sequence[SearchMatch]
    ) -> Reconciliation:
        await asyncio.sleep(self._delay_s)
        return await self._inner.reconcile(recognition, matches)

    async def describe(self, facts: ProductFacts, recognition: Recognition) -> DescriptionResult:
        await asyncio.sleep(self._delay_s)
        return await self._inner.describe(facts, recognition)

    async def research_price(
        self,
        facts: ProductFacts,
        recognition: Recognition,
        evidence: PriceEvidence | None = None,
    ) -> PriceResult:
        await asyncio.sleep(self._delay_s)
        return await self._inner.research_price(facts, recognition, evidence)

    async def write_listing(self, request: ListingRequest) -> ListingResult:
        await asyncio.sleep(self._delay_s)
        return await self._inner.write_listing(request)
