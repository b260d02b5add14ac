"""The marketplace video worker (spec 30 §9): one render per run.

The run is claimed with a conditional update (one worker wins; a run whose heartbeat
stopped is taken over). The slides are read and the video rendered and stored with no
transaction open, the run heartbeating in the background. One short transaction then
makes the video the product's video for the marketplace, records its ``videos`` usage
unit (decision Q-A6) and completes the run, so a worker killed before it leaves the run to
be taken over and nothing counted; the video it replaced is deleted from storage after the
commit. A run that cannot render ends ``failed``/``video_failed`` with nothing counted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec

from reseller_core.domain import videos
from reseller_core.domain.images import ProductImage
from reseller_core.domain.plans import Bucket
from reseller_core.domain.runs import RunStatus
from reseller_core.domain.videos import ProductVideo, VideoRun, video_key
from reseller_core.ports import Clock, IdFactory, ObjectStorage, TaskQueue, UnitOfWork, UsageEvent
from reseller_core.ports.media import (
    VIDEO_FRAME_SIZES,
    RenderedVideo,
    SourceImage,
    VideoRenderer,
    VideoRenderError,
    VideoRequest,
)
from reseller_core.ports.unit_of_work import UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.jobs import JobHandler
from reseller_core.services.processing.keepalive import keepalive
from reseller_core.services.processing.usage import record_unit
from reseller_core.services.processing.video_requests import VIDEO_RUN_JOB
from reseller_core.services.storage_cleanup import queue_object_deletion

log = logging.getLogger(__name__)

NOT_CONFIGURED: Final = "video_renderer_not_configured"
NO_SOURCES: Final = "media_unavailable"
RENDER_FAILED: Final = "video_render_failed"
STORE_FAILED: Final = "video_store_failed"
MESSAGES: Final = {
    NOT_CONFIGURED: "No video renderer is configured.",
    NO_SOURCES: "No product image could be read from storage.",
    RENDER_FAILED: "The video could not be rendered.",
    STORE_FAILED: "The video could not be stored.",
}


class _Failed(Exception):
    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class VideoRunner:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        storage: ObjectStorage,
        queue: TaskQueue,
        renderer: VideoRenderer | None,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._storage = storage
        self._queue = queue
        self._renderer = renderer
        self._clock = clock
        self._ids = ids
        self._config = config

    async def process(self, run_id: str) -> None:
        now = self._clock.now()
        stale_before = now - timedelta(seconds=self._config.run_heartbeat_timeout_s)
        async with self._uow() as uow:
            run = await uow.video_runs.claim(run_id, now, stale_before)
            if run is None:
                return
            view = await uow.products.view(run.user_id, run.product_id)
            await uow.commit()
        if view is None:  # deleted meanwhile: the run went with it
            return
        listing = next(
            (x for x in view.marketplace_listings if x.marketplace == run.marketplace), None
        )
        title = listing.generated_title if listing is not None else None
        started = self._clock.now()
        try:
            async with keepalive(
                self._uow,
                self._clock,
                lambda unit, at: unit.video_runs.heartbeat(run.id, at),
                interval_s=self._config.run_heartbeat_timeout_s / 3,
                label=f"video run {run.id}",
            ):
                rendered = await self._render(run, list(view.images), title)
                key = video_key(run)
                try:
                    await self._storage.put(key, rendered.data, content_type=rendered.content_type)
                except Exception as error:
                    log.warning("video of run %s not stored (%s)", run.id, type(error).__name__)
                    raise _Failed(STORE_FAILED) from error
        except _Failed as failure:
            await self._fail(run, failure)
            return
        seconds = (self._clock.now() - started).total_seconds()
        await self._complete(run, rendered, key, seconds)

    async def _render(
        self, run: VideoRun, images: list[ProductImage], title: str | None
    ) -> RenderedVideo:
        if self._renderer is None:
            raise _Failed(NOT_CONFIGURED)
        by_id = {image.id: image for image in images}
        slides: list[SourceImage] = []
        for image_id in run.source_image_ids:
            image = by_id.get(image_id)
            if image is None:  # deleted since the request
                continue
            try:
                data = await self._storage.get(image.storage_key)
            except Exception as error:
                log.warning("video slide %s unreadable (%s)", image.id, type(error).__name__)
                continue
            slides.append(
                SourceImage(
                    image_id=image.id, kind=image.kind, content_type=image.content_type, data=data
                )
            )
        if not slides:
            raise _Failed(NO_SOURCES)
        width, height = VIDEO_FRAME_SIZES[run.aspect_ratio]
        request = VideoRequest(
            marketplace=run.marketplace,
            width=width,
            height=height,
            duration_seconds=run.duration_seconds,
            images=tuple(slides),
            title=title,
        )
        try:
            return await self._renderer.render(request)
        except VideoRenderError as error:
            raise _Failed(RENDER_FAILED, str(error)) from error
        except Exception as error:
            log.exception("video run %s: the renderer failed", run.id)
            raise _Failed(RENDER_FAILED, type(error).__name__) from error

    async def _current(self, uow: UnitOfWork, run: VideoRun) -> VideoRun | None:
        """The run as stored, if this worker still owns it (not finished by another)."""
        stored = await uow.video_runs.get(run.id)
        return stored if stored is not None and stored.status == RunStatus.RUNNING else None

    async def _complete(
        self, run: VideoRun, rendered: RenderedVideo, key: str, seconds: float
    ) -> None:
        now = self._clock.now()
        video = ProductVideo(
            id=self._ids.new_id(),
            marketplace=run.marketplace,
            video_generation_run_id=run.id,
            storage_key=key,
            content_type=rendered.content_type,
            duration_seconds=rendered.duration_seconds,
            width=rendered.width,
            height=rendered.height,
            byte_size=len(rendered.data),
            source_image_ids=run.source_image_ids,
            created_at=now,
            updated_at=now,
        )
        replaced: ProductVideo | None = None
        async with self._uow() as uow:
            gone = await uow.products.get_by_id(run.product_id) is None
            current = None if gone else await self._current(uow, run)
            if current is not None:
                replaced = await self._record(uow, current, video, seconds, now)
                await uow.commit()
        if current is None:
            # The product was deleted while rendering (the run went with it): the file is an
            # orphan. Otherwise a worker that took the run over finished it: the file is its.
            if gone:
                await queue_object_deletion(self._queue, [key])
            return
        if replaced is not None and replaced.storage_key != key:
            await queue_object_deletion(self._queue, [replaced.storage_key])

    async def _record(
        self, uow: UnitOfWork, run: VideoRun, video: ProductVideo, seconds: float, now: datetime
    ) -> ProductVideo | None:
        """The video, its usage unit and the completed run; the video it replaced.

        The unit is recorded first of the writes, since it may lock the user."""
        await record_unit(
            uow,
            UsageEvent(
                id=self._ids.new_id(),
                user_id=run.user_id,
                product_id=run.product_id,
                run_id=run.id,
                bucket=Bucket.VIDEOS.value,
                quantity=1,
                created_at=now,
            ),
            trial_limits_plan=self._config.trial_limits_plan,
        )
        replaced = await uow.products.replace_video(run.product_id, video)
        payload: dict[str, Any] = {
            "video_id": video.id,
            "storage_key": video.storage_key,
            "byte_size": video.byte_size,
            "width": video.width,
            "height": video.height,
            "duration_seconds": video.duration_seconds,
            "slide_count": len(run.source_image_ids),
            "renderer": getattr(self._renderer, "name", None),
            "render_seconds": round(seconds, 3),
        }
        await uow.video_runs.update(
            msgspec.structs.replace(
                run,
                status=RunStatus.COMPLETED.value,
                step=videos.GENERATED_STEP,
                payload=payload,
                finished_at=now,
                updated_at=now,
            )
        )
        return replaced

    async def _fail(self, run: VideoRun, failure: _Failed) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            current = await self._current(uow, run)
            if current is None:
                return
            payload: dict[str, Any] = {"error_reason": failure.code}
            if failure.detail:
                payload["error_detail"] = failure.detail
            await uow.video_runs.update(
                msgspec.structs.replace(
                    current,
                    status=RunStatus.FAILED.value,
                    step=videos.FAILED_STEP,
                    error_code=failure.code,
                    error_message=MESSAGES[failure.code],
                    payload=payload,
                    finished_at=now,
                    updated_at=now,
                )
            )
            await uow.commit()


def video_job_handlers(runner: VideoRunner) -> dict[str, JobHandler]:
    """The queue's handler for video runs."""

    async def video_run(args: Mapping[str, Any]) -> None:
        await runner.process(str(args["run_id"]))

    return {VIDEO_RUN_JOB: video_run}
