"""Marketplace videos (spec 30 §9, decision Q-M16): the run that renders one, and the video.

A request queues a ``VideoRun`` for one marketplace; the worker renders a silent slideshow
of the product's public gallery (§4.4, ready images only, the first ``MAX_IMAGES``) and
stores it as the product's ``ProductVideo`` for that marketplace, replacing the previous
one. The run's status follows processing runs (``queued``/``running``/``completed``/
``failed``); its step goes ``queued`` → ``video_rendering`` → ``video_generated`` or
``video_failed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec

from reseller_core.domain.runs import ACTIVE_RUN_STATUSES

ASPECT_RATIOS: Final = ("9:16", "1:1", "4:5")
DEFAULT_ASPECT_RATIO: Final = "9:16"
MIN_DURATION_S: Final = 5
MAX_DURATION_S: Final = 30
DEFAULT_DURATION_S: Final = 10
MAX_IMAGES: Final = 6
"""At most this many gallery images become slides."""
VIDEO_MARKETPLACES: Final = (
    "ebay",
    "depop",
    "poshmark",
    "mercari",
    "facebook_marketplace",
    "etsy",
    "whatnot",
)
"""Marketplaces a video can be made for unless the deployment says otherwise (§9)."""
VIDEO_CONTENT_TYPE: Final = "video/mp4"
RENDER_STEP: Final = "video_rendering"
GENERATED_STEP: Final = "video_generated"
FAILED_STEP: Final = "video_failed"
ALREADY_ACTIVE: Final = "A video generation run is already in progress"
NO_READY_IMAGE: Final = "No ready image is available for a video"


class VideoRun(msgspec.Struct, frozen=True, kw_only=True):
    """One render request (``video_generation_run``); at most one active per product."""

    id: str
    product_id: str
    user_id: str
    status: str
    step: str
    marketplace: str
    aspect_ratio: str
    duration_seconds: int
    source_image_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    error_code: str | None = None
    error_message: str | None = None
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_RUN_STATUSES


class ProductVideo(msgspec.Struct, frozen=True, kw_only=True):
    """The product's current video for one marketplace."""

    id: str
    marketplace: str
    video_generation_run_id: str
    storage_key: str
    content_type: str
    duration_seconds: float
    width: int
    height: int
    byte_size: int
    source_image_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


def video_key(run: VideoRun) -> str:
    """Spec 30 §1: ``users/{user}/products/{product}/videos/{run_id}-{marketplace}.mp4``."""
    return f"users/{run.user_id}/products/{run.product_id}/videos/{run.id}-{run.marketplace}.mp4"


def with_video(videos: tuple[ProductVideo, ...], video: ProductVideo) -> tuple[ProductVideo, ...]:
    """``videos`` with ``video`` as its marketplace's one video, in marketplace order."""
    kept = [v for v in videos if v.marketplace != video.marketplace]
    return sort_videos([*kept, video])


def sort_videos(videos: list[ProductVideo] | tuple[ProductVideo, ...]) -> tuple[ProductVideo, ...]:
    """Payload order: by marketplace id, then id."""
    return tuple(sorted(videos, key=lambda v: (v.marketplace, v.id)))
