"""Marketplace video requests (spec 30 §9): queue a render, list runs, delete a video.

A request checks in the spec's order (write gate, 400, 404, 402 ``videos``, 422 state, 422
fields) and writes the ``queued`` run in one transaction; the run table admits one active
run per product, so of two simultaneous requests one gets the run and the other ``422
invalid_product_state``. The job is enqueued after the commit (the sweeper retries a
failed enqueue). The render itself is ``video_runs.VideoRunner``.
"""

from __future__ import annotations

import logging

import msgspec

from reseller_core.commands.media import GenerateVideo, VideoRef
from reseller_core.commands.problems import NO_PROBLEMS, InputProblems
from reseller_core.domain import state_machine, videos
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.images import ImageStatus, ProductImage, public_gallery, sort_images
from reseller_core.domain.plans import MeteredAction
from reseller_core.domain.runs import RunStatus
from reseller_core.domain.state_machine import Action
from reseller_core.domain.users import User
from reseller_core.domain.validation import (
    CANT_BE_BLANK,
    IS_INVALID,
    greater_or_equal,
    less_or_equal,
)
from reseller_core.domain.videos import VideoRun
from reseller_core.errors import (
    Conflict,
    EmailNotConfirmed,
    FieldErrors,
    InvalidProductState,
    NotFound,
    ValidationFailed,
)
from reseller_core.ports import Job
from reseller_core.services.config import CoreConfig
from reseller_core.services.limits import ensure_within_limit
from reseller_core.services.processing.media_requests import PRODUCT_NOT_FOUND, MediaRequests

log = logging.getLogger(__name__)

VIDEO_RUN_JOB = "video_run"
"""Job name; its args are ``{"run_id": <ULID>}``."""
VIDEO_NOT_FOUND = "Video not found"


def video_run_job(run_id: str) -> Job:
    return Job(VIDEO_RUN_JOB, {"run_id": run_id})


def video_sources(images: list[ProductImage]) -> list[ProductImage]:
    """The slides: the public gallery (§4.4), or every ready image by position when the
    gallery has none, at most ``MAX_IMAGES``."""
    chosen = public_gallery(images) or [
        image for image in sort_images(images) if image.processing_status == ImageStatus.READY
    ]
    return chosen[: videos.MAX_IMAGES]


class VideoOptions(msgspec.Struct, frozen=True, kw_only=True):
    marketplace: str
    duration_seconds: int
    aspect_ratio: str


def validate_video_options(
    command: GenerateVideo, config: CoreConfig, known: FieldErrors | None = None
) -> VideoOptions:
    """The request's options with defaults; ``ValidationFailed`` lists every bad field.

    ``known`` holds the fields already refused for their type (their rules are skipped).
    """
    errors: FieldErrors = dict(known or {})
    marketplace = (command.marketplace or "").strip()
    enabled = set(config.supported_marketplaces) & set(config.video_marketplaces)
    if "marketplace" in errors:
        pass
    elif not marketplace:
        errors["marketplace"] = [CANT_BE_BLANK]
    elif marketplace not in enabled:
        errors["marketplace"] = [IS_INVALID]
    duration = command.duration_seconds
    if duration is None or "duration_seconds" in errors:
        duration = videos.DEFAULT_DURATION_S
    elif duration < videos.MIN_DURATION_S:
        errors["duration_seconds"] = [greater_or_equal(videos.MIN_DURATION_S)]
    elif duration > videos.MAX_DURATION_S:
        errors["duration_seconds"] = [less_or_equal(videos.MAX_DURATION_S)]
    aspect = command.aspect_ratio
    if aspect is None or "aspect_ratio" in errors:
        aspect = videos.DEFAULT_ASPECT_RATIO
    elif aspect not in videos.ASPECT_RATIOS:
        errors["aspect_ratio"] = [IS_INVALID]
    if errors:
        raise ValidationFailed(errors)
    return VideoOptions(marketplace=marketplace, duration_seconds=duration, aspect_ratio=aspect)


class VideoResult(msgspec.Struct, frozen=True, kw_only=True):
    view: ProductView
    run: VideoRun


class VideoRequests(MediaRequests):
    async def generate(
        self, user: User, command: GenerateVideo, problems: InputProblems = NO_PROBLEMS
    ) -> VideoResult:
        if self._config.require_email_confirmation and user.confirmed_at is None:
            raise EmailNotConfirmed()
        problems.raise_invalid_request()
        now = self._clock.now()
        async with self._uow() as uow:
            product = await self._owned(uow, user, command.product_id, PRODUCT_NOT_FOUND)
            await ensure_within_limit(uow, user, MeteredAction.VIDEO, now, self._config)
            state_machine.require(Action.GENERATE_VIDEO, product.status)
            sources = video_sources(await uow.images.for_product(product.id))
            if not sources:
                raise InvalidProductState(videos.NO_READY_IMAGE)
            if any(run.active for run in await uow.video_runs.for_product(product.id)):
                raise InvalidProductState(videos.ALREADY_ACTIVE)
            options = validate_video_options(command, self._config, problems.fields)
            run = VideoRun(
                id=self._ids.new_id(),
                product_id=product.id,
                user_id=product.user_id,
                status=RunStatus.QUEUED.value,
                step="queued",
                marketplace=options.marketplace,
                aspect_ratio=options.aspect_ratio,
                duration_seconds=options.duration_seconds,
                source_image_ids=tuple(image.id for image in sources),
                created_at=now,
                updated_at=now,
            )
            try:
                await uow.video_runs.add(run)
            except Conflict:
                raise InvalidProductState(videos.ALREADY_ACTIVE) from None
            view = await self._view(uow, user, product.id)
            await uow.commit()
        try:
            await self._queue.enqueue(video_run_job(run.id))
        except Exception as error:
            log.warning("video run %s not enqueued now (%s)", run.id, type(error).__name__)
        return VideoResult(view=view, run=run)

    async def runs(self, user: User, product_id: str) -> list[VideoRun]:
        """The product's video runs, newest first."""
        async with self._reader() as uow:
            product = await self._owned(uow, user, product_id, PRODUCT_NOT_FOUND)
            return await uow.video_runs.for_product(product.id)

    async def delete(self, user: User, ref: VideoRef) -> ProductView:
        """Remove one video (any product status); its file is deleted after the commit."""
        video_id = parse_ulid(ref.video_id)
        async with self._uow() as uow:
            product = await self._owned(uow, user, ref.product_id, VIDEO_NOT_FOUND)
            removed = await uow.products.remove_video(product.id, video_id) if video_id else None
            if removed is None:
                raise NotFound(VIDEO_NOT_FOUND)
            view = await self._view(uow, user, product.id)
            await uow.commit()
        try:  # best effort, after the commit (decision Q-M15)
            await self._storage.delete(removed.storage_key)
        except Exception as error:
            log.warning("video object not deleted (%s)", type(error).__name__)
        return view
