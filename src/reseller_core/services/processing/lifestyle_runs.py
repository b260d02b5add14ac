"""The lifestyle run worker (spec 30 §8.2-8.4): one image request per scene, each isolated.

The run is claimed with a conditional update (one worker wins; a run whose heartbeat
stopped is taken over). Source bytes are read, each scene is generated and its image
stored with no transaction open; each scene's image row is then written in its own short
transaction together with the run's progress and heartbeat, so a killed worker leaves
only whole scenes behind and a resumed run skips the scenes that already have an image.
The run ends ``completed``, ``partial`` or ``failed`` by how many scenes produced an
image; one ``lifestyle`` usage unit is recorded with each generated image, in the same
transaction (decision Q-A6).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec

from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.lifestyle import (
    DEFAULT_ASPECT_RATIO,
    SceneFacts,
    plan_scenes,
    scene_family,
    scene_prompt,
)
from reseller_core.domain.media_runs import LifestyleRun, lifestyle_outcome
from reseller_core.domain.plans import Bucket
from reseller_core.ports import Clock, IdFactory, ObjectStorage, UsageEvent
from reseller_core.ports.media import (
    GeneratedScene,
    LifestyleGenerationError,
    LifestyleImageGenerator,
    SceneRequest,
    SourceImage,
)
from reseller_core.ports.unit_of_work import UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.jobs import JobHandler
from reseller_core.services.processing.lifestyle_requests import LIFESTYLE_RUN_JOB, family_texts
from reseller_core.services.processing.usage import record_unit

log = logging.getLogger(__name__)

EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/jpg": ".jpg", "image/webp": ".webp"}


def lifestyle_key(run: LifestyleRun, scene_key: str, variant_index: int, mime: str) -> str:
    """Spec 30 §1: ``generated/{run_id}-{scene_key}-{variant_index}{ext}``."""
    ext = EXTENSIONS.get(mime, ".bin")
    return (
        f"users/{run.user_id}/products/{run.product_id}/generated/"
        f"{run.id}-{scene_key}-{variant_index}{ext}"
    )


class LifestyleRunner:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        storage: ObjectStorage,
        generator: LifestyleImageGenerator | None,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._storage = storage
        self._generator = generator
        self._clock = clock
        self._ids = ids
        self._config = config

    async def process(self, run_id: str) -> None:
        now = self._clock.now()
        stale_before = now - timedelta(seconds=self._config.run_heartbeat_timeout_s)
        async with self._uow() as uow:
            run = await uow.lifestyle_runs.claim(run_id, now, stale_before)
            if run is None:
                return
            product = await uow.products.get_by_id(run.product_id)
            images = await uow.images.for_product(run.product_id) if product else []
            await uow.commit()
        if product is None:  # deleted meanwhile: the run went with it
            return
        results: list[dict[str, Any]] = list(run.payload.get("scene_results", []))
        done = {(r["scene_key"], r["variant_index"]) for r in results if r["status"] == "generated"}
        source_ids = [str(i) for i in run.payload.get("source_image_ids", [])]
        sources = await self._read_sources([i for i in images if i.id in source_ids])
        family = scene_family(family_texts(product))
        facts = SceneFacts(
            title=product.title,
            brand=product.brand,
            category=product.category,
            condition=product.condition,
            color=product.color,
            material=product.material,
            ai_summary=product.ai_summary,
        )
        wanted = set(run.payload.get("scene_keys", []))
        for scene in plan_scenes(family):
            if scene.scene_key not in wanted or (scene.scene_key, scene.variant_index) in done:
                continue
            request = SceneRequest(
                scene_family=family.name,
                scene_key=scene.scene_key,
                variant_index=scene.variant_index,
                prompt=scene_prompt(family, scene, facts),
                aspect_ratio=DEFAULT_ASPECT_RATIO,
                sources=tuple(sources),
            )
            result = await self._scene(run, request, source_ids)
            results = [
                r
                for r in results
                if (r["scene_key"], r["variant_index"]) != (scene.scene_key, scene.variant_index)
            ] + [result]
            run = await self._progress(run, results)
        await self._finish(run, results)

    async def _read_sources(self, images: list[ProductImage]) -> list[SourceImage]:
        found: list[SourceImage] = []
        for image in images:
            try:
                data = await self._storage.get(image.storage_key)
            except Exception as error:
                log.warning("lifestyle source %s unreadable (%s)", image.id, type(error).__name__)
                continue
            found.append(
                SourceImage(
                    image_id=image.id, kind=image.kind, content_type=image.content_type, data=data
                )
            )
        return found

    async def _scene(
        self, run: LifestyleRun, request: SceneRequest, source_ids: list[str]
    ) -> dict[str, Any]:
        """Generate and store one scene; its image row is written with the progress."""
        base: dict[str, Any] = {
            "scene_key": request.scene_key,
            "variant_index": request.variant_index,
            "model": getattr(self._generator, "model", None),
        }
        if self._generator is None:
            return {
                **base,
                "status": "failed",
                "error": "no lifestyle generator is configured",
                "error_reason": "not_configured",
            }
        if not request.sources:
            return {
                **base,
                "status": "failed",
                "error": "no source image could be read",
                "error_reason": "no_source",
            }
        try:
            scene: GeneratedScene = await self._generator.generate_scene(request)
            key = lifestyle_key(
                run,
                request.scene_key,
                request.variant_index,
                scene.content_type,
            )
            await self._storage.put(key, scene.data, content_type=scene.content_type)
        except LifestyleGenerationError as error:
            return {**base, "status": "failed", "error": str(error), "error_reason": error.reason}
        except Exception as error:
            log.exception("lifestyle scene %s of run %s failed", request.scene_key, run.id)
            return {
                **base,
                "status": "failed",
                "error": "the scene could not be stored",
                "error_reason": type(error).__name__,
            }
        return {
            **base,
            "status": "generated",
            "model": scene.model,
            "returned_image_count": scene.returned_image_count,
            "image": {
                "id": self._ids.new_id(),
                "storage_key": key,
                "content_type": scene.content_type,
                "byte_size": len(scene.data),
                "width": scene.width,
                "height": scene.height,
                "source_image_ids": source_ids,
            },
        }

    async def _progress(self, run: LifestyleRun, results: list[dict[str, Any]]) -> LifestyleRun:
        now = self._clock.now()
        latest = results[-1]
        async with self._uow() as uow:
            if latest["status"] == "generated":
                # Decision Q-A6: the unit is recorded with the image it counts (beyond the
                # plan it consumes an add-on credit, Q-A7), first of the writes since it may
                # lock the user.
                await record_unit(
                    uow,
                    UsageEvent(
                        id=self._ids.new_id(),
                        user_id=run.user_id,
                        product_id=run.product_id,
                        run_id=run.id,
                        bucket=Bucket.LIFESTYLE.value,
                        quantity=1,
                        created_at=now,
                    ),
                    trial_limits_plan=self._config.trial_limits_plan,
                )
                images = await uow.images.for_product(run.product_id)
                position = max((image.position for image in images), default=0) + 1
                image = self._image(run, latest, position, now)
                await uow.images.add_many([image])
            completed = sum(1 for r in results if r["status"] == "generated")
            model = run.model or next(
                (r["model"] for r in results if r["status"] == "generated"), None
            )
            run = msgspec.structs.replace(
                run,
                completed_count=completed,
                model=model,
                payload={**run.payload, "scene_results": results},
                heartbeat_at=now,
                updated_at=now,
            )
            await uow.lifestyle_runs.update(run)
            await uow.commit()
        return run

    @staticmethod
    def _image(
        run: LifestyleRun, result: dict[str, Any], position: int, now: datetime
    ) -> ProductImage:
        stored = result["image"]
        return ProductImage(
            id=stored["id"],
            product_id=run.product_id,
            kind=ImageKind.LIFESTYLE_GENERATED,
            position=position,
            storage_key=stored["storage_key"],
            content_type=stored["content_type"],
            byte_size=stored["byte_size"],
            width=stored.get("width"),
            height=stored.get("height"),
            background_style="lifestyle",
            processing_status=ImageStatus.READY,
            original_filename=stored["storage_key"].rsplit("/", 1)[-1],
            lifestyle_generation_run_id=run.id,
            scene_key=result["scene_key"],
            variant_index=result["variant_index"],
            source_image_ids=tuple(stored["source_image_ids"]),
            created_at=now,
            updated_at=now,
        )

    async def _finish(self, run: LifestyleRun, results: list[dict[str, Any]]) -> None:
        now = self._clock.now()
        completed = sum(1 for r in results if r["status"] == "generated")
        status, step, code = lifestyle_outcome(run.requested_count, completed)
        failed = [r for r in results if r["status"] == "failed"]
        summary = f"{completed} of {run.requested_count} scenes generated"
        public = [
            {k: v for k, v in r.items() if k != "image"}
            | (
                {"image": {k: r["image"][k] for k in ("id", "storage_key", "content_type")}}
                if "image" in r
                else {}
            )
            for r in results
        ]
        finished = msgspec.structs.replace(
            run,
            status=status.value,
            step=step,
            completed_count=completed,
            error_code=code,
            error_message=failed[0]["error"] if failed else None,
            payload={**run.payload, "summary": summary, "scene_results": public},
            finished_at=now,
            updated_at=now,
        )
        async with self._uow() as uow:
            await uow.lifestyle_runs.update(finished)
            await uow.commit()


def lifestyle_job_handlers(runner: LifestyleRunner) -> dict[str, JobHandler]:
    """The queue's handler for lifestyle runs."""

    async def lifestyle_run(args: Mapping[str, Any]) -> None:
        await runner.process(str(args["run_id"]))

    return {LIFESTYLE_RUN_JOB: lifestyle_run}
