"""A small import world over in-memory fakes: the service, a confirmed user, a job runner."""

from __future__ import annotations

import tracemalloc

from reseller_core.domain.transfers import Import, ImportStatus
from reseller_core.domain.users import User
from reseller_core.services.config import CoreConfig, TransferLimits
from reseller_core.services.transfers.imports import ImportService
from reseller_core.testing import (
    FixedClock,
    MemoryDatabase,
    MemoryObjectStorage,
    RecordingTaskQueue,
    SequentialIds,
    memory_uow_factory,
)

LIMITS = TransferLimits(
    max_archive_bytes=5_000_000,
    max_entry_count=500,
    max_entry_bytes=2_000_000,
    max_total_uncompressed_bytes=6_000_000,
    max_compression_ratio=100,
)


class World:
    def __init__(self) -> None:
        self.clock = FixedClock()
        self.ids = SequentialIds()
        self.db = MemoryDatabase()
        self.storage = MemoryObjectStorage()
        self.queue = RecordingTaskQueue()
        self.config = CoreConfig(transfers=LIMITS)
        self.service = ImportService(
            uow=memory_uow_factory(self.db),
            reader=memory_uow_factory(self.db),
            storage=self.storage,
            queue=self.queue,
            clock=self.clock,
            ids=self.ids,
            config=self.config,
        )
        now = self.clock.now()
        self.user = User(
            id=self.ids.new_id(),
            email="s@example.com",
            password_hash="x",
            confirmed_at=now,
            selected_marketplaces=("ebay",),
            created_at=now,
            updated_at=now,
        )

    async def store(self, archive: bytes) -> str:
        """An import record whose source is ``archive`` (bypassing the request check)."""
        now = self.clock.now()
        import_id = self.ids.new_id()
        key = f"users/{self.user.id}/imports/{import_id}/source.zip"
        record = Import(
            id=import_id,
            user_id=self.user.id,
            status=ImportStatus.QUEUED,
            source_filename="x.zip",
            source_storage_key=key,
            requested_at=now,
            created_at=now,
            updated_at=now,
        )
        async with self.db.unit_of_work() as uow:
            if await uow.users.get(self.user.id) is None:
                await uow.users.add(self.user)
            await uow.imports.add(record)
            await uow.commit()
        await self.storage.put(key, archive, content_type="application/zip")
        return import_id

    async def record(self, import_id: str) -> Import:
        async with self.db.unit_of_work() as uow:
            done = await uow.imports.get_by_id(import_id)
        assert done is not None
        return done

    async def run_job(self, archive: bytes) -> tuple[Import, int]:
        """Store ``archive`` as an import's source and run the job; the record and the peak."""
        import_id = await self.store(archive)
        tracemalloc.start()
        try:
            await self.service.run(import_id)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return await self.record(import_id), peak
