"""Background-removed variants (spec 30 §6.9): one per original; the first failure stops them.

Never fails the run: a failure is recorded in the progress and the run completes at
``variants_failed``. Each variant commits with its usage event, so a resumed run makes
only the ones still missing.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage, variant_key
from reseller_core.domain.plans import Bucket
from reseller_core.domain.recognition import RECOGNITION_STATUSES
from reseller_core.domain.runs import Step
from reseller_core.ports import EditedImage, IdFactory, ImageEditor, ObjectStorage, StorageError
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.journal import RunJournal
from reseller_core.services.processing.progress import VariantEntry, VariantProgress
from reseller_core.services.processing.usage import UsageMeter

logger = logging.getLogger(__name__)


class VariantStage:
    """Removes the background of each original and stores the result as a variant image."""

    def __init__(
        self,
        *,
        journal: RunJournal,
        usage: UsageMeter,
        storage: ObjectStorage,
        image_editor: ImageEditor,
        ids: IdFactory,
    ) -> None:
        self._journal = journal
        self._usage = usage
        self._storage = storage
        self._editor = image_editor
        self._ids = ids

    async def run(self, ctx: RunContext) -> None:
        ok = await self._generate(ctx)
        ctx.final_step = Step.VARIANTS_GENERATED if ok else Step.VARIANTS_FAILED

    async def _generate(self, ctx: RunContext) -> bool:
        """Whether every original got its variant."""
        state = ctx.progress.variant_generation
        if state is not None and state.finished:
            return state.status == "generated"
        journal = self._journal
        async with journal.uow() as uow:
            await journal.product(uow, ctx)
            images = await uow.images.for_product(ctx.product_id)
        originals = sorted(
            (
                image
                for image in images
                if image.kind == ImageKind.ORIGINAL
                and image.processing_status in RECOGNITION_STATUSES
            ),
            key=lambda image: (image.position, image.id),
        )
        variants = state.variants if state is not None else ()
        sources = state.source_image_ids if state is not None else ()
        pending = [original for original in originals if original.id not in sources]
        for index, original in enumerate(pending):
            # The last variant's unit of work also marks the stage generated.
            last = index == len(pending) - 1
            key = variant_key(ctx.user_id, ctx.product_id, original.id)
            try:
                edited = await self._edit(ctx, original, key)
            except Exception as exc:
                logger.warning(
                    "background removal for image %s in run %s failed",
                    original.id,
                    ctx.run_id,
                    exc_info=True,
                )
                failed = VariantProgress(
                    status="failed",
                    count=len(variants),
                    variants=variants,
                    source_image_ids=sources,
                    error="media_unavailable"
                    if isinstance(exc, StorageError)
                    else "background_removal_failed",
                    error_reason=f"{type(exc).__name__}: {exc}"[:500],
                    image_id=original.id,
                )
                await journal.record_progress(
                    ctx,
                    step=None,
                    progress=msgspec.structs.replace(ctx.progress, variant_generation=failed),
                )
                return False
            entry = await self._save(
                ctx, original, key, edited, variants=variants, sources=sources, last=last
            )
            variants, sources = (*variants, entry), (*sources, original.id)
        if not pending:
            generated = VariantProgress(
                status="generated",
                count=len(variants),
                variants=variants,
                source_image_ids=sources,
            )
            await journal.record_progress(
                ctx,
                step=None,
                progress=msgspec.structs.replace(ctx.progress, variant_generation=generated),
            )
        return True

    async def _edit(self, ctx: RunContext, original: ProductImage, key: str) -> EditedImage:
        data = await self._storage.get(original.storage_key)
        edited = await self._usage.metered(
            ctx,
            self._editor.remove_background(data, original.content_type),
            provider=self._editor,
            role="image_editor",
            operation="process_image",
        )
        await self._storage.put(key, edited.data, content_type=edited.content_type)
        return edited

    async def _save(
        self,
        ctx: RunContext,
        original: ProductImage,
        key: str,
        edited: EditedImage,
        *,
        variants: tuple[VariantEntry, ...],
        sources: tuple[str, ...],
        last: bool,
    ) -> VariantEntry:
        """Store the variant image row, its usage event and the progress in one commit."""
        journal = self._journal
        async with journal.uow() as uow:
            run = journal.owned_run(ctx)
            now = journal.clock.now()
            # First of the writes: the unit may lock the user (usage.record_unit).
            await self._usage.record_usage(uow, ctx, Bucket.BACKGROUND_REMOVALS, now)
            current = await uow.images.for_product(ctx.product_id)
            existing = next(
                (
                    image
                    for image in current
                    if image.kind == ImageKind.BACKGROUND_REMOVED
                    and image.position == original.position
                ),
                None,
            )
            fields: dict[str, Any] = {
                "storage_key": key,
                "content_type": edited.content_type,
                "width": edited.width or original.width,
                "height": edited.height or original.height,
                "byte_size": len(edited.data),
                "checksum": original.checksum,
                "original_filename": original.original_filename,
                "background_style": "transparent",
                "processing_status": ImageStatus.READY,
                "updated_at": now,
            }
            if existing is not None:
                variant = msgspec.structs.replace(existing, **fields)
                await uow.images.update_many([variant])
            else:
                variant = ProductImage(
                    id=self._ids.new_id(),
                    product_id=ctx.product_id,
                    kind=ImageKind.BACKGROUND_REMOVED,
                    position=original.position,
                    created_at=now,
                    **fields,
                )
                await uow.images.add_many([variant])
            entry = VariantEntry(
                id=variant.id,
                kind=variant.kind.value,
                position=variant.position,
                background_style=variant.background_style,
                processing_status=variant.processing_status.value,
            )
            progress_now = VariantProgress(
                status="generated" if last else "running",
                count=len(variants) + 1,
                variants=(*variants, entry),
                source_image_ids=(*sources, original.id),
            )
            progress = msgspec.structs.replace(ctx.progress, variant_generation=progress_now)
            await journal.commit(uow, ctx, run, now, step=None, progress=progress)
        return entry
