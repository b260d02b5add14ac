"""Completion (spec 30 §6.11): images ready, the run's final payload, product ready or review."""

from __future__ import annotations

import msgspec

from reseller_core.domain.images import ImageStatus
from reseller_core.domain.products import ProductStatus
from reseller_core.domain.runs import RunStatus
from reseller_core.ports import AIProvider
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.failures import ProductGone
from reseller_core.services.processing.journal import RunJournal
from reseller_core.services.processing.progress import LifestyleProgress, ProductSummary

LIFESTYLE_DISABLED = LifestyleProgress(status="skipped", reason="disabled")
"""What the payload reports while lifestyle scenes are not generated."""


class CompletionStage:
    """The last stage: completes the run at ``ctx.final_step`` in one unit of work."""

    def __init__(self, *, journal: RunJournal, ai: AIProvider) -> None:
        self._journal = journal
        self._ai = ai

    async def run(self, ctx: RunContext) -> None:
        journal = self._journal
        async with journal.uow() as uow:
            run = journal.owned_run(ctx)
            now = journal.clock.now()
            images = await uow.images.for_product(ctx.product_id)
            ready = [
                msgspec.structs.replace(image, processing_status=ImageStatus.READY, updated_at=now)
                for image in images
                if image.processing_status == ImageStatus.PROCESSING
            ]
            if ready:
                await uow.images.update_many(ready)
            final = ctx.progress.final
            # An upload that could not be decoded is something the seller must look at.
            review_required = (final is None or final.needs_review) or bool(
                ctx.progress.rejected_images
            )
            target = ProductStatus.REVIEW if review_required else ProductStatus.READY
            await uow.products.set_status_if(ctx.product_id, ProductStatus.PROCESSING, target, now)
            product = await uow.products.get_by_id(ctx.product_id)
            if product is None:
                raise ProductGone
            progress = msgspec.structs.replace(
                ctx.progress,
                review_required=review_required,
                lifestyle_generation=LIFESTYLE_DISABLED,
                product=ProductSummary(
                    id=product.id,
                    status=product.status.value,
                    title=product.title,
                    brand=product.brand,
                    category=product.category,
                    color=product.color,
                    material=product.material,
                    ai_confidence=product.ai_confidence,
                ),
                provider=self._ai.name,
                model=self._ai.model,
                offline=self._ai.offline,
            )
            completed = msgspec.structs.replace(
                run,
                status=RunStatus.COMPLETED,
                step=ctx.final_step.value,
                finished_at=now,
                error_code=None,
                error_message=None,
                payload=progress.to_payload(),
                heartbeat_at=now,
                updated_at=now,
            )
            await journal.write_run(uow, completed)
            await uow.commit()
        ctx.run = completed
        ctx.progress = progress
