"""Price research (spec 30 §6.7): shopping search, then advisory prices.

A shopping search that fails degrades (decision Q-M8): research goes on without shopping
evidence and the run's payload records the search error.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

import msgspec

from reseller_core.domain.artifacts import ArtifactStatus, PriceResearch
from reseller_core.domain.plans import Bucket
from reseller_core.domain.products import Product
from reseller_core.domain.runs import RunErrorCode, Step
from reseller_core.domain.text import collapse_spaces, dedupe
from reseller_core.ports import (
    AIProvider,
    AIProviderError,
    IdFactory,
    PriceEvidence,
    PriceResult,
    Recognition,
    SearchProvider,
)
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.failures import jsonable, provider_failure
from reseller_core.services.processing.fallback import stored_matches
from reseller_core.services.processing.journal import RunJournal
from reseller_core.services.processing.progress import PriceProgress
from reseller_core.services.processing.stages.base import ProviderStage
from reseller_core.services.processing.stages.recognition import product_facts
from reseller_core.services.processing.usage import UsageMeter

PRICE_GENERATED_CONFIDENCE = 0.6
"""Below this confidence (or without a rationale) the research is left for review."""

_CENTS = Decimal("0.01")


def money(value: object) -> Decimal | None:
    """A provider amount as a non-negative Decimal with 2 places, or None when unusable.

    A negative zero ("-0", or "-0.001" once rounded) is plain zero: its sign would
    otherwise reach the stored text as "-0.00". An amount too large to hold cents within
    the decimal context is unusable.
    """
    try:
        amount = Decimal(str(value)) if value is not None else None
        if amount is None or not amount.is_finite() or amount < 0:
            return None
        return amount.quantize(_CENTS).copy_abs()
    except InvalidOperation:
        return None


def money_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def shopping_query(product: Product, recognition: Recognition) -> str:
    """§6.7: the distinct non-blank of brand, title and category, joined by spaces.

    Brand and category are the product's, else the recognition's. A word already in the
    query is not repeated ("Acme" + "Acme sneakers" + "sneakers" searches "Acme sneakers"):
    a title usually restates the brand, and repeats only skew a search engine's ranking.
    """
    parts = (
        collapse_spaces(product.brand) or collapse_spaces(recognition.brand),
        collapse_spaces(product.title),
        collapse_spaces(product.category) or collapse_spaces(recognition.category),
    )
    words = " ".join(dedupe([part for part in parts if part], ignore_case=False)).split(" ")
    return " ".join(dedupe(words, ignore_case=True))


def _as_result(saved: PriceResearch) -> PriceResult | None:
    if saved.suggested_target_price is None:
        return None
    return PriceResult(
        currency=saved.currency,
        suggested_target_price=saved.suggested_target_price,
        pricing_confidence=saved.pricing_confidence or 0.0,
        suggested_min_price=saved.suggested_min_price,
        suggested_max_price=saved.suggested_max_price,
        suggested_median_price=saved.suggested_median_price,
        rationale_summary=saved.rationale_summary,
        market_signals=saved.market_signals,
        comparable_results=saved.comparable_results,
    )


class PriceStage(ProviderStage):
    """Saves the price research; the listings quote it when there is one."""

    def __init__(
        self,
        *,
        journal: RunJournal,
        usage: UsageMeter,
        ai: AIProvider,
        ids: IdFactory,
        search: SearchProvider | None = None,
    ) -> None:
        super().__init__(journal=journal, usage=usage, ai=ai, ids=ids)
        self._search = search

    async def _evidence(
        self, ctx: RunContext, product: Product, recognition: Recognition
    ) -> tuple[PriceEvidence, str | None]:
        """The search evidence (§6.7) and the shopping search's error, if it failed."""
        lens = stored_matches(ctx.progress.search_matches or ())
        query = shopping_query(product, recognition)
        search = self._search
        if search is None or not query:
            return PriceEvidence(shopping_query=query or None, lens_matches=lens), None
        try:
            shopping = await self._usage.metered(
                ctx,
                search.shopping_matches(query),
                provider=search,
                role="search",
                operation="shopping",
            )
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
            return PriceEvidence(shopping_query=query, lens_matches=lens), error
        return PriceEvidence(
            shopping_query=query, lens_matches=lens, shopping_matches=shopping
        ), None

    async def run(self, ctx: RunContext) -> None:
        assert ctx.recognition is not None, "recognition runs first"
        journal = self._journal
        done = ctx.reached(Step.PRICE_RESEARCHED)
        if done:
            progress = ctx.progress.price_research
            if progress is not None and progress.failed:
                ctx.price = None
                return
            async with journal.uow() as uow:
                _, saved, _ = await uow.products.artifacts(ctx.product_id)
            reloaded = _as_result(saved) if saved is not None else None
            if reloaded is not None:
                ctx.price = reloaded
                return
        product = await journal.facts_source(ctx)
        evidence, search_error = await self._evidence(ctx, product, ctx.recognition)
        try:
            result = await self._usage.metered(
                ctx,
                self._ai.research_price(product_facts(product), ctx.recognition, evidence),
                provider=self._ai,
                role="llm",
                operation="price_research",
            )
        except AIProviderError as exc:
            if exc.code != RunErrorCode.SHOPPING_SEARCH_FAILED:
                raise provider_failure(exc, self._ai.name) from exc
            degraded = PriceProgress(
                status="failed",
                error=RunErrorCode.SHOPPING_SEARCH_FAILED.value,
                search_error=str(exc),
            )
            await journal.record_progress(
                ctx,
                step=None if done else Step.PRICE_RESEARCHED,
                progress=msgspec.structs.replace(ctx.progress, price_research=degraded),
            )
            ctx.price = None
            return
        if search_error and not result.search_error:
            result = msgspec.structs.replace(
                result, search_error=f"{RunErrorCode.SHOPPING_SEARCH_FAILED.value}: {search_error}"
            )
        await self._save(ctx, result, record_usage=not done)
        ctx.price = result

    async def _save(self, ctx: RunContext, result: PriceResult, *, record_usage: bool) -> None:
        currency = (result.currency or "").strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            currency = "USD"
        confidence = result.pricing_confidence
        if not (isinstance(confidence, (int, float)) and math.isfinite(confidence)):
            confidence = 0.0
        confidence = min(1.0, max(0.0, float(confidence)))
        rationale = collapse_spaces(result.rationale_summary)
        generated = rationale is not None and confidence >= PRICE_GENERATED_CONFIDENCE
        journal = self._journal
        async with journal.uow() as uow:
            run = journal.owned_run(ctx)
            now = journal.clock.now()
            if record_usage:
                # First of the writes: the unit may lock the user (usage.record_unit).
                await self._usage.record_usage(uow, ctx, Bucket.PRICE_RESEARCH, now)
            _, existing, _ = await uow.products.artifacts(ctx.product_id)
            research = PriceResearch(
                id=existing.id if existing else self._ids.new_id(),
                status=ArtifactStatus.GENERATED if generated else ArtifactStatus.REVIEW,
                provider=self._ai.name,
                model=self._ai.model,
                currency=currency,
                suggested_min_price=money(result.suggested_min_price),
                suggested_target_price=money(result.suggested_target_price),
                suggested_max_price=money(result.suggested_max_price),
                suggested_median_price=money(result.suggested_median_price),
                pricing_confidence=confidence,
                rationale_summary=result.rationale_summary,
                market_signals=dedupe(result.market_signals, ignore_case=False),
                comparable_results=tuple(jsonable(item) for item in result.comparable_results),
                created_at=existing.created_at if existing else now,
                updated_at=now,
            )
            await uow.products.save_price_research(ctx.product_id, research)
            summary = PriceProgress(
                id=research.id,
                status=research.status.value,
                currency=research.currency,
                suggested_target_price=money_text(research.suggested_target_price),
                suggested_median_price=money_text(research.suggested_median_price),
                pricing_confidence=confidence,
                search_error=result.search_error or msgspec.UNSET,
            )
            progress = msgspec.structs.replace(ctx.progress, price_research=summary)
            step = Step.PRICE_RESEARCHED if record_usage else None
            await journal.commit(uow, ctx, run, now, step=step, progress=progress)
