"""Response shapes of the generated media endpoints: lifestyle (spec 30 §8.3, §8.5-8.8) and
marketplace video (§9)."""

from __future__ import annotations

import msgspec

from reseller_entrypoints.http.presenters import lifestyle_run_body
from reseller_entrypoints.http.schemas import LifestyleRunBody, ProductBody, VideoRunBody

__all__ = ["LifestyleRunBody", "lifestyle_run_body"]


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


class VideoGenerationData(msgspec.Struct, frozen=True, kw_only=True):
    product: ProductBody
    video_generation_run: VideoRunBody


class VideoGenerationResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: VideoGenerationData


class VideoRunsData(msgspec.Struct, frozen=True, kw_only=True):
    runs: list[VideoRunBody]


class VideoRunsResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: VideoRunsData
