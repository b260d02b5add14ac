"""The ports a use case may need, bundled so the composition root wires them once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reseller_core.ports import (
    AIProvider,
    Clock,
    IdFactory,
    ImageEditor,
    Mailer,
    MarketplaceAdapter,
    ObjectStorage,
    PasswordHasher,
    RateLimiter,
    SearchProvider,
    TaskQueue,
    UnitOfWorkFactory,
)
from reseller_core.ports.media import LifestyleImageGenerator, VideoRenderer
from reseller_core.services.config import CoreConfig


@dataclass(frozen=True, slots=True)
class Deps:
    uow: UnitOfWorkFactory
    storage: ObjectStorage
    queue: TaskQueue
    ai: AIProvider
    image_editor: ImageEditor
    rate_limiter: RateLimiter
    mailer: Mailer
    hasher: PasswordHasher
    clock: Clock
    ids: IdFactory
    marketplaces: Mapping[str, MarketplaceAdapter]
    config: CoreConfig
    read_uow: UnitOfWorkFactory | None = None
    """Units of work that only read (see ``UnitOfWorkFactory``); ``uow`` when not offered."""
    lookup_uow: UnitOfWorkFactory | None = None
    """Units of work for a single reading statement, begun without a transaction around it
    (``reader`` when not offered)."""
    search: SearchProvider | None = None
    lifestyle_generator: LifestyleImageGenerator | None = None
    """Lifestyle scene images; None answers lifestyle requests with a clear error."""
    video_renderer: VideoRenderer | None = None
    """Marketplace videos; None answers video requests with a clear error."""
    """Visual and shopping search; None runs the pipeline without search evidence."""

    @property
    def reader(self) -> UnitOfWorkFactory:
        """The factory for use cases that only read."""
        return self.read_uow or self.uow

    @property
    def lookup(self) -> UnitOfWorkFactory:
        """The factory for a use case that reads with one statement."""
        return self.lookup_uow or self.reader
