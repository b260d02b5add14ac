"""Lifestyle generation runs (spec 30 §8.3): one per request, at most one active per product.

The run row is written (``queued``) by the request and advanced by the worker; its status
and step say how the scenes went: none failed → ``completed``/``lifestyle_generated``,
some → ``partial``/``lifestyle_partial``, all → ``failed``/``lifestyle_failed``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec


class LifestyleRunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"


ACTIVE_LIFESTYLE_STATUSES = frozenset({LifestyleRunStatus.QUEUED, LifestyleRunStatus.RUNNING})


class LifestyleRun(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    product_id: str
    user_id: str
    status: str
    step: str
    scene_family: str
    prompt_version: str
    requested_count: int
    created_at: datetime
    updated_at: datetime
    model: str | None = None
    completed_count: int = 0
    error_code: str | None = None
    error_message: str | None = None
    payload: dict[str, Any] = msgspec.field(default_factory=dict)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_LIFESTYLE_STATUSES


def lifestyle_outcome(requested: int, completed: int) -> tuple[LifestyleRunStatus, str, str | None]:
    """Status, step and error code of a finished run from its scene counts."""
    if completed >= requested:
        return LifestyleRunStatus.COMPLETED, "lifestyle_generated", None
    if completed > 0:
        return LifestyleRunStatus.PARTIAL, "lifestyle_partial", "lifestyle_partial_failure"
    return LifestyleRunStatus.FAILED, "lifestyle_failed", "lifestyle_generation_failed"
