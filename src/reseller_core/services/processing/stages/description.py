"""The description draft (spec 30 §6.6): title, copy, features and keywords for review."""

from __future__ import annotations

import msgspec

from reseller_core.domain.artifacts import ArtifactStatus, DescriptionDraft
from reseller_core.domain.plans import Bucket
from reseller_core.domain.runs import Step
from reseller_core.domain.text import clip, collapse_spaces, dedupe
from reseller_core.ports import AIProviderError, DescriptionResult
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.failures import provider_failure
from reseller_core.services.processing.progress import DescriptionSummary
from reseller_core.services.processing.stages.base import ProviderStage
from reseller_core.services.processing.stages.recognition import product_facts

DESCRIPTION_TITLE_MAX = 160
DESCRIPTION_TEXT_MAX = 500


def _as_result(saved: DescriptionDraft) -> DescriptionResult:
    return DescriptionResult(
        suggested_title=saved.suggested_title,
        short_description=saved.short_description,
        long_description=saved.long_description,
        key_features=saved.key_features,
        seo_keywords=saved.seo_keywords,
        missing_details_warning=saved.missing_details_warning,
    )


class DescriptionStage(ProviderStage):
    """Writes the product's description draft; a provider error fails the run."""

    async def run(self, ctx: RunContext) -> None:
        assert ctx.recognition is not None, "recognition runs first"
        journal = self._journal
        done = ctx.reached(Step.DESCRIPTION_GENERATED)
        if done:
            async with journal.uow() as uow:
                saved, _, _ = await uow.products.artifacts(ctx.product_id)
            if saved is not None:
                ctx.description = _as_result(saved)
                return
        product = await journal.facts_source(ctx)
        try:
            result = await self._usage.metered(
                ctx,
                self._ai.describe(product_facts(product), ctx.recognition),
                provider=self._ai,
                role="llm",
                operation="description",
            )
        except AIProviderError as exc:
            raise provider_failure(exc, self._ai.name) from exc
        warning = collapse_spaces(result.missing_details_warning)
        async with journal.uow() as uow:
            run = journal.owned_run(ctx)
            now = journal.clock.now()
            if not done:
                # First of the writes: the unit may lock the user (usage.record_unit).
                await self._usage.record_usage(uow, ctx, Bucket.AI_DRAFTS, now)
            existing, _, _ = await uow.products.artifacts(ctx.product_id)
            draft = DescriptionDraft(
                id=existing.id if existing else self._ids.new_id(),
                status=ArtifactStatus.REVIEW if warning else ArtifactStatus.GENERATED,
                provider=self._ai.name,
                model=self._ai.model,
                suggested_title=clip(result.suggested_title.strip(), DESCRIPTION_TITLE_MAX),
                short_description=clip(result.short_description.strip(), DESCRIPTION_TEXT_MAX),
                long_description=result.long_description,
                key_features=dedupe(result.key_features, ignore_case=False),
                seo_keywords=dedupe(result.seo_keywords, ignore_case=False),
                missing_details_warning=clip(warning, DESCRIPTION_TEXT_MAX) if warning else None,
                created_at=existing.created_at if existing else now,
                updated_at=now,
            )
            await uow.products.save_description_draft(ctx.product_id, draft)
            summary = DescriptionSummary(
                id=draft.id,
                status=draft.status.value,
                suggested_title=draft.suggested_title,
                short_description=draft.short_description,
            )
            progress = msgspec.structs.replace(ctx.progress, description_draft=summary)
            step = None if done else Step.DESCRIPTION_GENERATED
            await journal.commit(uow, ctx, run, now, step=step, progress=progress)
        ctx.description = result
