"""Exports (spec 50 §2-§5): request, read with lazy stale detection, and the export job.

The job never holds a transaction while it talks to storage: products are read page by
page in short reading units of work, the archive streams from the ``ArchiveWriter``
straight into ``ObjectStorage.put_stream``, and the record is written before and after.
A job redelivered after its worker died claims the export again once the heartbeat is
stale and rebuilds the archive under the same key (the write replaces it whole).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from reseller_core.commands.problems import NO_PROBLEMS, InputProblems
from reseller_core.commands.transfers import RequestExport
from reseller_core.domain.archive_manifest import manifest_export, manifest_product
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.listing_query import MAX_PAGE_SIZE
from reseller_core.domain.transfers import (
    MAX_ACTIVE_JOBS_PER_USER,
    Export,
    ExportStatus,
    clip_message,
    export_file_name,
    export_name,
    export_query,
    export_storage_key,
    is_expired,
    is_stale,
    normalise_filters,
    stalled_message,
)
from reseller_core.domain.users import User
from reseller_core.errors import ExportFailed, NotFound, TooManyActiveJobs
from reseller_core.ports import Clock, EmailMessage, IdFactory, Mailer, ObjectStorage, TaskQueue
from reseller_core.ports.archives import (
    ArchiveBuildFailed,
    ArchiveImageFailed,
    ArchiveWriter,
    JsonObject,
)
from reseller_core.ports.storage import StorageError
from reseller_core.ports.unit_of_work import UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.transfers.jobs import export_job
from reseller_core.services.transfers.links import download_link

log = logging.getLogger(__name__)

EXPORT_NOT_FOUND = "Export not found"


@dataclass(frozen=True, slots=True)
class ExportView:
    """An export as the API shows it: the record and its freshly computed link."""

    export: Export
    download_url: str | None


@dataclass(frozen=True, slots=True)
class ExportPage:
    exports: list[ExportView]
    page: int
    page_size: int
    total_count: int


class ExportService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory,
        storage: ObjectStorage,
        queue: TaskQueue,
        mailer: Mailer,
        archives: ArchiveWriter,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._storage = storage
        self._queue = queue
        self._mailer = mailer
        self._archives = archives
        self._clock = clock
        self._ids = ids
        self._limits = config.transfers

    # --- requests -------------------------------------------------------------------

    async def request(
        self, user: User, command: RequestExport, problems: InputProblems = NO_PROBLEMS
    ) -> ExportView:
        """``POST /exports``: 422 when nothing matches or two exports are already active."""
        problems.raise_invalid_request()
        now = self._clock.now()
        filters = normalise_filters(msgspec.structs.asdict(command.filters))
        async with self._reader() as uow:
            tab_id = filters.get("product_tab_id")
            if tab_id is not None:
                tab = await uow.tabs.get(user.id, tab_id)
                if tab is not None:
                    filters["product_tab_name"] = tab.name[:80]
            query = export_query(filters, page=1, page_size=1)
            matching = (await uow.products.list(user.id, query)).total_count
        if matching == 0:
            raise ExportFailed("Could not start export: no products matched")
        name = export_name(command.name, now)
        export_id = self._ids.new_id()
        file_name = export_file_name(name, now)
        export = Export(
            id=export_id,
            user_id=user.id,
            name=name,
            file_name=file_name,
            filter_params=filters,
            product_count=matching,
            status=ExportStatus.QUEUED,
            requested_at=now,
            created_at=now,
            updated_at=now,
        )
        async with self._uow() as uow:
            if await uow.exports.count_active(user.id) >= MAX_ACTIVE_JOBS_PER_USER:
                raise TooManyActiveJobs(
                    f"You already have {MAX_ACTIVE_JOBS_PER_USER} exports queued or running; "
                    "wait for one to finish"
                )
            await uow.exports.add(export)
            await uow.commit()
        try:
            await self._queue.enqueue(export_job(export_id))
        except Exception:
            log.exception("enqueueing export %s failed", export_id)
            await self._finish(export_id, failed="Export failed: the job could not be queued")
            raise ExportFailed("Could not start export") from None
        return await self._view(export)

    async def get(self, user: User, export_id: str) -> ExportView:
        """``GET /exports/:id``: stale and expired exports are persisted as such first."""
        canonical = parse_ulid(export_id)
        if canonical is None:
            raise NotFound(EXPORT_NOT_FOUND)
        async with self._reader() as uow:
            export = await uow.exports.get(user.id, canonical)
        if export is None:
            raise NotFound(EXPORT_NOT_FOUND)
        return await self._view(await self._settle(export))

    async def list(self, user: User, *, page: int, page_size: int) -> ExportPage:
        async with self._reader() as uow:
            total = await uow.exports.count(user.id)
            found = await uow.exports.list(user.id, offset=(page - 1) * page_size, limit=page_size)
        views = [await self._view(await self._settle(export)) for export in found]
        return ExportPage(exports=views, page=page, page_size=page_size, total_count=total)

    async def _settle(self, export: Export) -> Export:
        now = self._clock.now()
        if is_stale(export, now, self._limits.export_stale_after_s):
            changed = msgspec.structs.replace(
                export,
                status=ExportStatus.STALLED,
                error_message=stalled_message(export.status, self._limits.export_stale_after_s),
                error_code="stalled",
                updated_at=now,
            )
        elif is_expired(export, now):
            changed = msgspec.structs.replace(export, status=ExportStatus.EXPIRED, updated_at=now)
        else:
            return export
        async with self._uow() as uow:
            current = await uow.exports.get_by_id(export.id)
            if current is None or current.status != export.status:
                return current or export  # a job moved it meanwhile: its state wins
            await uow.exports.update(changed)
            await uow.commit()
        if changed.status is ExportStatus.EXPIRED and changed.storage_key:
            try:
                await self._storage.delete(changed.storage_key)
            except StorageError:
                log.warning(
                    "expired export %s: archive not deleted; retried on next read", export.id
                )
        return changed

    async def _view(self, export: Export) -> ExportView:
        url = None
        if export.storage_key is not None and export.status is ExportStatus.COMPLETED:
            url = await download_link(
                self._storage,
                export.storage_key,
                self._clock.now() + timedelta(seconds=self._limits.download_url_ttl_s),
                public_fallback=self._limits.public_url_fallback,
            )
        return ExportView(export=export, download_url=url)

    # --- the job --------------------------------------------------------------------

    async def run(self, export_id: str) -> None:
        """Build and store the archive of one export; failures end the export ``failed``."""
        now = self._clock.now()
        stale_before = now - timedelta(seconds=self._limits.job_heartbeat_timeout_s)
        async with self._uow() as uow:
            export = await uow.exports.claim(export_id, now, stale_before)
            await uow.commit()
        if export is None:
            return
        key = export_storage_key(export.user_id, export.id, export.file_name)
        try:
            chunks = self._archives.write(
                self._products(export),
                lambda count: manifest_export(export, count),
                self._read_image,
            )
            await self._storage.put_stream(key, chunks, content_type="application/zip")
        except ArchiveImageFailed as error:
            await self._finish(export.id, failed=error.message, code="image_unavailable")
            return
        except ArchiveBuildFailed as error:
            message = f"Export failed while building the ZIP archive: {error}"
            await self._finish(export.id, failed=message, code="archive_failed")
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.exception("export %s failed", export.id)
            message = f"Export failed: {type(error).__name__}"
            await self._finish(export.id, failed=message, code="export_failed")
            return
        finished = await self._finish(export.id, storage_key=key)
        if finished is not None:
            await self._notify(finished)

    async def _products(self, export: Export) -> AsyncIterator[JsonObject]:
        """Manifest entries of the products the saved filters match now, page by page."""
        seen: set[str] = set()
        page = 1
        while True:
            query = export_query(export.filter_params, page=page, page_size=MAX_PAGE_SIZE)
            async with self._reader() as uow:
                result = await uow.products.list(export.user_id, query)
            if result.page < page:
                return  # past the last page (the list clamps the page number)
            for view in result.products:
                if view.product.id not in seen:
                    seen.add(view.product.id)
                    yield manifest_product(view)
            async with self._uow() as uow:
                await uow.exports.heartbeat(export.id, self._clock.now())
                await uow.commit()
            if page >= result.total_pages:
                return
            page += 1

    async def _read_image(self, image: JsonObject) -> AsyncIterator[bytes]:
        image_id, key = image["id"], image["storage_key"]
        try:
            info = await self._storage.head(key)
            if info is None:
                raise ArchiveImageFailed(
                    f"Export failed because product image #{image_id} is missing from storage "
                    "(HTTP 404). Re-upload the image and retry."
                )
            async for chunk in self._storage.stream(key):
                yield chunk
        except TimeoutError as error:
            raise ArchiveImageFailed(
                f"Export failed because downloading product image #{image_id} timed out. "
                "Retry the export."
            ) from error
        except StorageError as error:
            raise ArchiveImageFailed(
                f"Export failed because product image #{image_id} could not be downloaded. "
                "Check storage access and retry."
            ) from error

    async def _finish(
        self,
        export_id: str,
        *,
        storage_key: str | None = None,
        failed: str | None = None,
        code: str | None = None,
    ) -> Export | None:
        now = self._clock.now()
        async with self._uow() as uow:
            export = await uow.exports.get_by_id(export_id)
            if export is None:
                return None
            if failed is not None:
                export = msgspec.structs.replace(
                    export,
                    status=ExportStatus.FAILED,
                    error_message=clip_message(failed, "Unknown export failure"),
                    error_code=code or "export_failed",
                    updated_at=now,
                )
            else:
                export = msgspec.structs.replace(
                    export,
                    status=ExportStatus.COMPLETED,
                    storage_key=storage_key,
                    completed_at=now,
                    expires_at=now + timedelta(days=self._limits.export_ttl_days),
                    error_message=None,
                    error_code=None,
                    updated_at=now,
                )
            await uow.exports.update(export)
            await uow.commit()
        return export

    async def _notify(self, export: Export) -> None:
        """The "export ready" e-mail; a failure is logged, the export stays completed."""
        try:
            async with self._reader() as uow:
                user = await uow.users.get(export.user_id)
            if user is None or export.storage_key is None or export.expires_at is None:
                return
            # Decision Q2: the mailed link lasts until the archive expires.
            url = await download_link(
                self._storage,
                export.storage_key,
                export.expires_at,
                public_fallback=self._limits.public_url_fallback,
            )
            expires = export.expires_at.isoformat().replace("+00:00", "Z")
            await self._mailer.send(
                EmailMessage(
                    to=user.email,
                    subject="Your ResellerIO export is ready",
                    text=(
                        f"Your export #{export.id} is ready.\n"
                        f"Download: {url or 'open the export in the app for a link'}\n"
                        f"Expires at: {expires}\n"
                    ),
                    tag="export_ready",
                )
            )
        except Exception:
            log.exception("export %s: the ready notification could not be sent", export.id)
