"""Marketplace listings (spec 30 §6.8): one per selected marketplace, each on its own.

A failure fails only that listing (Q-M9): the earlier copy stays visible, marked
``failed``. Each listing commits in its own unit of work and is recorded in the progress,
so a resumed run writes only the ones still missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import msgspec

from reseller_core.domain.artifacts import ArtifactStatus, MarketplaceListing
from reseller_core.domain.runs import RunErrorCode, Step
from reseller_core.domain.text import dedupe
from reseller_core.ports import (
    AIProvider,
    AIProviderError,
    IdFactory,
    ListingRequest,
    ListingResult,
    MarketplaceAdapter,
    ProductFacts,
    ShapedListing,
)
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.journal import RunJournal
from reseller_core.services.processing.progress import ListingEntry
from reseller_core.services.processing.stages.base import ProviderStage
from reseller_core.services.processing.stages.price import money, money_text
from reseller_core.services.processing.stages.recognition import product_facts
from reseller_core.services.processing.usage import UsageMeter

logger = logging.getLogger(__name__)


class _ListingFailed(Exception):
    """The copy for one marketplace could not be written; ``error``/``detail`` say why."""

    def __init__(self, error: str, detail: str) -> None:
        self.error = error
        self.detail = detail
        super().__init__(detail)


class ListingStage(ProviderStage):
    """Writes (or marks failed) one listing per marketplace the run was started with."""

    def __init__(
        self,
        *,
        journal: RunJournal,
        usage: UsageMeter,
        ai: AIProvider,
        ids: IdFactory,
        marketplaces: Mapping[str, MarketplaceAdapter],
    ) -> None:
        super().__init__(journal=journal, usage=usage, ai=ai, ids=ids)
        self._marketplaces = marketplaces

    async def run(self, ctx: RunContext) -> None:
        if ctx.reached(Step.MARKETPLACE_LISTINGS_GENERATED):
            return
        facts = product_facts(await self._journal.facts_source(ctx))
        written = ctx.progress.marketplace_listings or ()
        done = {entry.marketplace for entry in written}
        pending = [m for m in dict.fromkeys(ctx.marketplaces) if m not in done]
        for index, marketplace in enumerate(pending):
            # The last listing's unit of work also completes the stage.
            last = index == len(pending) - 1
            await self._one_listing(ctx, marketplace, facts, last=last)
        if not pending:
            progress = msgspec.structs.replace(ctx.progress, marketplace_listings=written)
            await self._journal.record_progress(
                ctx, step=Step.MARKETPLACE_LISTINGS_GENERATED, progress=progress
            )

    async def _write(
        self, ctx: RunContext, marketplace: str, facts: ProductFacts
    ) -> tuple[ListingResult, ShapedListing]:
        assert ctx.description is not None, "the description stage runs first"
        adapter = self._marketplaces.get(marketplace)
        try:
            if adapter is None:
                raise LookupError(f"no marketplace adapter is installed for {marketplace!r}")
            request = ListingRequest.for_marketplace(
                adapter, facts=facts, description=ctx.description, price=ctx.price
            )
            result = await self._usage.metered(
                ctx,
                self._ai.write_listing(request),
                provider=self._ai,
                role="llm",
                operation="marketplace_listing",
            )
            return result, adapter.shape(result)
        except AIProviderError as exc:
            logger.warning("listing for %s in run %s failed: %s", marketplace, ctx.run_id, exc)
            raise _ListingFailed(exc.code, str(exc)[:500]) from exc
        except Exception as exc:
            logger.warning(
                "listing for %s in run %s failed", marketplace, ctx.run_id, exc_info=True
            )
            raise _ListingFailed(
                RunErrorCode.MARKETPLACE_LISTING_FAILED.value,
                f"{type(exc).__name__}: {exc}"[:500],
            ) from exc

    async def _one_listing(
        self, ctx: RunContext, marketplace: str, facts: ProductFacts, *, last: bool
    ) -> None:
        adapter = self._marketplaces.get(marketplace)
        label = adapter.label if adapter is not None else marketplace
        written: tuple[ListingResult, ShapedListing] | None = None
        failure: _ListingFailed | None = None
        try:
            written = await self._write(ctx, marketplace, facts)
        except _ListingFailed as exc:
            failure = exc
        journal = self._journal
        async with journal.uow() as uow:
            run = journal.owned_run(ctx)
            now = journal.clock.now()
            _, _, listings = await uow.products.artifacts(ctx.product_id)
            existing = next((item for item in listings if item.marketplace == marketplace), None)
            if written is not None:
                result, shaped = written
                warnings = dedupe(
                    [*result.compliance_warnings, *shaped.compliance_warnings], ignore_case=False
                )
                listing = MarketplaceListing(
                    id=existing.id if existing else self._ids.new_id(),
                    marketplace=marketplace,
                    status=ArtifactStatus.REVIEW if warnings else ArtifactStatus.GENERATED,
                    generated_title=shaped.title,
                    generated_description=shaped.description,
                    generated_tags=shaped.tags,
                    generated_price_suggestion=money(result.generated_price_suggestion),
                    generation_version=result.generation_version or self._ai.model,
                    compliance_warnings=warnings,
                    external_url=existing.external_url if existing else None,
                    external_url_added_at=existing.external_url_added_at if existing else None,
                    last_generated_at=now,
                    created_at=existing.created_at if existing else now,
                    updated_at=now,
                )
                entry = ListingEntry(
                    id=listing.id,
                    marketplace=marketplace,
                    status=listing.status.value,
                    generated_title=listing.generated_title,
                    generated_price_suggestion=money_text(listing.generated_price_suggestion),
                )
            else:
                assert failure is not None
                # Earlier copy stays visible (spec 30 §5.3); the status says it is stale.
                base = existing or MarketplaceListing(
                    id=self._ids.new_id(),
                    marketplace=marketplace,
                    status=ArtifactStatus.FAILED,
                    created_at=now,
                    updated_at=now,
                )
                listing = msgspec.structs.replace(
                    base,
                    status=ArtifactStatus.FAILED,
                    compliance_warnings=(
                        f"Copy for {label} could not be generated; reprocess to try again.",
                    ),
                    updated_at=now,
                )
                entry = ListingEntry(
                    id=listing.id,
                    marketplace=marketplace,
                    status=listing.status.value,
                    generated_title=None,
                    generated_price_suggestion=None,
                    error=failure.error,
                    detail=failure.detail,
                )
            others = [item for item in listings if item.marketplace != marketplace]
            await uow.products.save_listings(ctx.product_id, [*others, listing])
            entries = (*(ctx.progress.marketplace_listings or ()), entry)
            progress = msgspec.structs.replace(ctx.progress, marketplace_listings=entries)
            step = Step.MARKETPLACE_LISTINGS_GENERATED if last else None
            await journal.commit(uow, ctx, run, now, step=step, progress=progress)
