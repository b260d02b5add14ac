"""Recognition (spec 30 §6.2-§6.5): select inputs, recognise, fall back to visual search
when unsure, merge into the product."""

from __future__ import annotations

import logging

import msgspec

from reseller_core.domain.images import ImageStatus, ProductImage
from reseller_core.domain.products import Product
from reseller_core.domain.recognition import (
    apply_recognition,
    needs_review,
    recognition_candidates,
    select_recognition_images,
)
from reseller_core.domain.runs import RunErrorCode, Step
from reseller_core.errors import Conflict
from reseller_core.ports import (
    AIProvider,
    AIProviderError,
    ImageInput,
    ObjectStorage,
    ProductFacts,
    Recognition,
    SearchProvider,
    StorageError,
)
from reseller_core.ports.ai import INVALID_IMAGE
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.failures import PipelineFailure, provider_failure
from reseller_core.services.processing.fallback import LensFallback
from reseller_core.services.processing.journal import RunJournal
from reseller_core.services.processing.progress import (
    FinalRecognition,
    RejectedImage,
    RunProgress,
    SearchFallback,
)
from reseller_core.services.processing.usage import UsageMeter

logger = logging.getLogger(__name__)

PRODUCT_MERGE_ATTEMPTS = 3
"""How often the recognition merge is retried when the seller edits the product meanwhile."""


def product_facts(product: Product) -> ProductFacts:
    """What the seller (and earlier stages) know, as the AI port takes it."""
    return ProductFacts(
        product_id=product.id,
        title=product.title,
        brand=product.brand,
        category=product.category,
        condition=product.condition,
        color=product.color,
        size=product.size,
        material=product.material,
        ai_summary=product.ai_summary,
        tags=product.tags,
    )


def normalise_recognition(recognition: Recognition, threshold: float) -> FinalRecognition:
    """The run's ``final`` recognition (§6.5) when no visual search ran."""
    fields = {name: getattr(recognition, name) for name in Recognition.__struct_fields__}
    fields["needs_review"] = needs_review(
        bool(recognition.needs_review), recognition.confidence_score, threshold
    )
    return FinalRecognition(**fields, external_match_count=0)


class RecognitionStage:
    """Recognise the item; an undecodable upload is dropped and the rest retried (Q-M4)."""

    def __init__(
        self,
        *,
        journal: RunJournal,
        usage: UsageMeter,
        storage: ObjectStorage,
        ai: AIProvider,
        config: CoreConfig,
        search: SearchProvider | None = None,
    ) -> None:
        self._journal = journal
        self._usage = usage
        self._storage = storage
        self._ai = ai
        self._config = config
        self._fallback = LensFallback(
            usage=usage, storage=storage, ai=ai, search=search, config=config, clock=journal.clock
        )

    async def run(self, ctx: RunContext) -> None:
        final = ctx.progress.final
        if ctx.reached(Step.RECOGNITION_COMPLETED) and final is not None:
            ctx.recognition = final.as_recognition()
            return
        product, images = ctx.product, ctx.images
        if product is None or images is None:
            async with self._journal.uow() as uow:
                product = await self._journal.product(uow, ctx)
                images = tuple(await uow.images.for_product(ctx.product_id))
        recognition, selected = await self._recognise(ctx, product, images)
        final = normalise_recognition(recognition, self._config.recognition_confidence_threshold)
        outcome = None
        if final.needs_review:
            outcome = await self._fallback.run(ctx, recognition, final, selected)
        progress = msgspec.structs.replace(
            ctx.progress,
            pipeline_status=outcome.pipeline_status if outcome else "recognized",
            selected_image_count=len(selected),
            final=outcome.final if outcome else final,
            fallback=outcome.fallback if outcome else SearchFallback(attempted=False),
            search_matches=outcome.matches if outcome else (),
        )
        assert progress.final is not None
        await self._merge(ctx, progress.final, progress)
        ctx.recognition = recognition

    async def _recognise(
        self, ctx: RunContext, product: Product, images: tuple[ProductImage, ...]
    ) -> tuple[Recognition, list[ProductImage]]:
        candidates = recognition_candidates(images)
        facts = product_facts(product)
        cache: dict[str, bytes] = {}
        while True:
            selected = select_recognition_images(candidates)
            if not selected:
                rejected = [msgspec.to_builtins(r) for r in ctx.progress.rejected_images]
                details = {"rejected_images": rejected} if rejected else {}
                raise PipelineFailure(RunErrorCode.NO_RECOGNITION_IMAGES, details=details)
            inputs = [
                ImageInput(
                    image_id=image.id,
                    kind=image.kind.value,
                    position=image.position,
                    content_type=image.content_type,
                    data=await self._image_bytes(image, cache),
                )
                for image in selected
            ]
            try:
                recognition = await self._usage.metered(
                    ctx,
                    self._ai.recognize(inputs, facts),
                    provider=self._ai,
                    role="llm",
                    operation="recognition",
                )
            except AIProviderError as exc:
                bad_id = exc.details.get("image_id") if exc.code == INVALID_IMAGE else None
                bad = next((image for image in selected if image.id == bad_id), None)
                if bad is None:
                    raise provider_failure(exc, self._ai.name) from exc
                reason = str(exc.details.get("reason") or exc)
                await self._reject_image(ctx, bad, reason)
                candidates = [image for image in candidates if image.id != bad.id]
                continue
            return recognition, selected

    async def _merge(self, ctx: RunContext, final: FinalRecognition, progress: RunProgress) -> None:
        """Fill the product's blanks and commit the stage; re-merge on a concurrent edit."""
        journal = self._journal
        for attempt in range(1, PRODUCT_MERGE_ATTEMPTS + 1):
            try:
                async with journal.uow() as uow:
                    run = journal.owned_run(ctx)
                    now = journal.clock.now()
                    stored = await journal.product(uow, ctx)
                    merged = apply_recognition(stored, final, now, card=final.card)
                    if merged is not stored:
                        merged = await uow.products.update(merged, expected_version=stored.version)
                    await journal.commit(
                        uow, ctx, run, now, step=Step.RECOGNITION_COMPLETED, progress=progress
                    )
                ctx.product = merged
                return
            except Conflict:
                # The seller saved the product meanwhile: re-read and merge again.
                if attempt == PRODUCT_MERGE_ATTEMPTS:
                    raise
                logger.info(
                    "product %s changed during run %s; merging again", ctx.product_id, ctx.run_id
                )

    async def _image_bytes(self, image: ProductImage, cache: dict[str, bytes]) -> bytes:
        if image.id not in cache:
            try:
                cache[image.id] = await self._storage.get(image.storage_key)
            except StorageError as exc:
                raise PipelineFailure(
                    RunErrorCode.MEDIA_UNAVAILABLE,
                    retryable=True,
                    details={"provider": "storage", "image_id": image.id, "detail": str(exc)},
                ) from exc
        return cache[image.id]

    async def _reject_image(self, ctx: RunContext, image: ProductImage, reason: str) -> None:
        """Mark an undecodable upload ``failed`` at once, so a resumed run skips it too."""
        journal = self._journal
        rejected = (*ctx.progress.rejected_images, RejectedImage(image_id=image.id, reason=reason))
        async with journal.uow() as uow:
            run = journal.owned_run(ctx)
            now = journal.clock.now()
            current = next(
                (i for i in await uow.images.for_product(ctx.product_id) if i.id == image.id),
                None,
            )
            if current is not None:
                await uow.images.update_many(
                    [
                        msgspec.structs.replace(
                            current, processing_status=ImageStatus.FAILED, updated_at=now
                        )
                    ]
                )
            progress = msgspec.structs.replace(ctx.progress, rejected_images=rejected)
            await journal.commit(uow, ctx, run, now, step=None, progress=progress)
