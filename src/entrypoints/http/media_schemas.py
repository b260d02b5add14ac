"""Response shapes of the lifestyle media endpoints (spec 30 §8.3, §8.5-8.8)."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from reseller_core.domain.media_runs import LifestyleRun
from reseller_entrypoints.http.presenters import iso, iso_or_none
from reseller_entrypoints.http.schemas import ProductBody, Timestamp, Ulid

LifestyleStatus = Literal["queued", "running", "completed", "partial", "failed"]


class LifestyleRunBody(msgspec.Struct, frozen=True, kw_only=True):
    """A lifestyle generation run (spec 30 §8.3)."""

    id: Ulid
    status: LifestyleStatus
    step: str
    scene_family: str
    model: str | None
    prompt_version: str
    requested_count: int
    completed_count: int
    error_code: str | None
    error_message: str | None
    started_at: Timestamp | None
    finished_at: Timestamp | None
    inserted_at: Timestamp
    updated_at: Timestamp
    payload: dict[str, Any]


class LifestyleGenerationData(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductBody
    lifestyle_generation_run: LifestyleRunBody


class LifestyleGenerationResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: LifestyleGenerationData


class LifestyleRunsData(msgspec.Struct, frozen=True, kw_only=True):
    runs: list[LifestyleRunBody]


class LifestyleRunsResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: LifestyleRunsData


class ProductDeletedData(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductBody
    deleted: bool


class ProductDeletedResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ProductDeletedData


def lifestyle_run_body(run: LifestyleRun) -> LifestyleRunBody:
    payload: dict[str, Any] = {
        "summary": None,
        "scene_keys": [],
        "source_image_ids": [],
        "scene_results": [],
    }
    return LifestyleRunBody(
        id=run.id,
        status=run.status,  # type: ignore[arg-type]
        step=run.step,
        scene_family=run.scene_family,
        model=run.model,
        prompt_version=run.prompt_version,
        requested_count=run.requested_count,
        completed_count=run.completed_count,
        error_code=run.error_code,
        error_message=run.error_message,
        started_at=iso_or_none(run.started_at),
        finished_at=iso_or_none(run.finished_at),
        inserted_at=iso(run.created_at),
        updated_at=iso(run.updated_at),
        payload={**payload, **run.payload},
    )
