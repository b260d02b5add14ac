"""Lifestyle generation requests (spec 30 §8.5-8.8): queue a run, list runs, approve, delete.

A request checks in the spec's order (write gate, 404, 402 ``lifestyle``, 422 state, 422
``scene_key``) and writes the ``queued`` run in one transaction; the run table admits one
active run per product, so of two simultaneous requests one gets the run and the other
``422 invalid_product_state``. The job is enqueued after the commit (the sweeper retries a
failed enqueue). The work itself is ``lifestyle_runs.LifestyleRunner``.
"""

from __future__ import annotations

import logging
from datetime import datetime

import msgspec

from reseller_core.commands.media import GeneratedImageRef, GenerateLifestyle
from reseller_core.commands.problems import NO_PROBLEMS, InputProblems
from reseller_core.domain import state_machine
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.lifestyle import PROMPT_VERSION, plan_scenes, scene_family
from reseller_core.domain.media_runs import LifestyleRun, LifestyleRunStatus
from reseller_core.domain.plans import MeteredAction
from reseller_core.domain.products import Product
from reseller_core.domain.state_machine import Action
from reseller_core.domain.users import User
from reseller_core.domain.validation import IS_INVALID
from reseller_core.errors import (
    Conflict,
    EmailNotConfirmed,
    InvalidProductState,
    NotFound,
    ValidationFailed,
)
from reseller_core.ports import Job, UnitOfWork
from reseller_core.services.limits import ensure_within_limit
from reseller_core.services.processing.media_requests import PRODUCT_NOT_FOUND, MediaRequests

log = logging.getLogger(__name__)

LIFESTYLE_RUN_JOB = "lifestyle_run"
"""Job name; its args are ``{"run_id": <ULID>}``."""
GENERATED_NOT_FOUND = "Generated image not found"
SOURCE_KINDS = (ImageKind.BACKGROUND_REMOVED, ImageKind.WHITE_BACKGROUND, ImageKind.ORIGINAL)
SOURCE_STATUSES = frozenset({ImageStatus.UPLOADED, ImageStatus.PROCESSING, ImageStatus.READY})
NO_SOURCES = "No images available for lifestyle generation"
ALREADY_ACTIVE = "A lifestyle generation run is already in progress"


def lifestyle_run_job(run_id: str) -> Job:
    return Job(LIFESTYLE_RUN_JOB, {"run_id": run_id})


def lifestyle_sources(images: list[ProductImage]) -> list[ProductImage]:
    """At most one image per kind (background-removed first, original last), each the
    lowest position of its kind among uploaded/processing/ready images (spec 30 §8.4)."""
    chosen: list[ProductImage] = []
    for kind in SOURCE_KINDS:
        candidates = [
            image
            for image in images
            if image.kind == kind and image.processing_status in SOURCE_STATUSES
        ]
        if candidates:
            chosen.append(min(candidates, key=lambda image: (image.position, image.id)))
    return chosen


def family_texts(product: Product) -> list[str | None]:
    return [product.title, product.brand, product.category, product.ai_summary]


class LifestyleResult(msgspec.Struct, frozen=True, kw_only=True):
    view: ProductView
    run: LifestyleRun


class LifestyleRequests(MediaRequests):
    def _new_run(
        self,
        *,
        product: Product,
        family: str,
        requested: int,
        keys: list[str],
        sources: list[ProductImage],
        now: datetime,
    ) -> LifestyleRun:
        return LifestyleRun(
            id=self._ids.new_id(),
            product_id=product.id,
            user_id=product.user_id,
            status=LifestyleRunStatus.QUEUED.value,
            step="queued",
            scene_family=family,
            prompt_version=PROMPT_VERSION,
            requested_count=requested,
            payload={
                "scene_keys": keys,
                "source_image_ids": [image.id for image in sources],
            },
            created_at=now,
            updated_at=now,
        )

    async def generate(
        self, user: User, command: GenerateLifestyle, problems: InputProblems = NO_PROBLEMS
    ) -> LifestyleResult:
        if self._config.require_email_confirmation and user.confirmed_at is None:
            raise EmailNotConfirmed()
        problems.raise_invalid_request()
        now = self._clock.now()
        async with self._uow() as uow:
            product = await self._owned(uow, user, command.product_id, PRODUCT_NOT_FOUND)
            await ensure_within_limit(uow, user, MeteredAction.LIFESTYLE, now, self._config)
            state_machine.require(Action.GENERATE_LIFESTYLE, product.status)
            images = await uow.images.for_product(product.id)
            sources = lifestyle_sources(images)
            if not images or not sources:
                raise InvalidProductState(NO_SOURCES)
            runs = await uow.lifestyle_runs.for_product(product.id)
            if any(run.active for run in runs):
                raise InvalidProductState(ALREADY_ACTIVE)
            if problems.fields:
                raise ValidationFailed(problems.fields)
            family = scene_family(family_texts(product))
            try:
                scenes = plan_scenes(family, command.scene_key or None)
            except ValueError:
                raise ValidationFailed({"scene_key": [IS_INVALID]}) from None
            run = self._new_run(
                product=product,
                family=family.name,
                requested=len(scenes),
                keys=[s.scene_key for s in scenes],
                sources=sources,
                now=now,
            )
            try:
                await uow.lifestyle_runs.add(run)
            except Conflict:
                raise InvalidProductState(ALREADY_ACTIVE) from None
            view = await self._view(uow, user, product.id)
            await uow.commit()
        try:
            await self._queue.enqueue(lifestyle_run_job(run.id))
        except Exception as error:
            log.warning("lifestyle run %s not enqueued now (%s)", run.id, type(error).__name__)
        return LifestyleResult(view=view, run=run)

    async def runs(self, user: User, product_id: str) -> list[LifestyleRun]:
        async with self._reader() as uow:
            product = await self._owned(uow, user, product_id, PRODUCT_NOT_FOUND)
            return await uow.lifestyle_runs.for_product(product.id)

    async def _generated(
        self, uow: UnitOfWork, user: User, ref: GeneratedImageRef
    ) -> tuple[Product, ProductImage]:
        product = await self._owned(uow, user, ref.product_id, GENERATED_NOT_FOUND)
        image_id = parse_ulid(ref.image_id)
        for image in await uow.images.for_product(product.id):
            if image.id == image_id and image.kind == ImageKind.LIFESTYLE_GENERATED:
                return product, image
        raise NotFound(GENERATED_NOT_FOUND)

    async def approve(self, user: User, ref: GeneratedImageRef) -> ProductView:
        now = self._clock.now()
        async with self._uow() as uow:
            product, image = await self._generated(uow, user, ref)
            if not image.seller_approved:
                approved = msgspec.structs.replace(
                    image, seller_approved=True, approved_at=now, updated_at=now
                )
                await uow.images.update_many([approved])
            view = await self._view(uow, user, product.id)
            await uow.commit()
        return view

    async def delete(self, user: User, ref: GeneratedImageRef) -> ProductView:
        async with self._uow() as uow:
            product, image = await self._generated(uow, user, ref)
            await uow.images.delete_many([image.id])
            view = await self._view(uow, user, product.id)
            await uow.commit()
        try:  # best effort, after the commit (decision Q-M15)
            await self._storage.delete(image.storage_key)
        except Exception as error:
            log.warning("generated image object not deleted (%s)", type(error).__name__)
        return view
