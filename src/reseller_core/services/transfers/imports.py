"""Imports (spec 50 §8-§12): request with the synchronous archive check, reads, the job.

``POST /imports`` validates the fields, decodes the archive, checks its central directory
(decision Q9: a bad archive is ``422 import_failed`` at once), writes the record, stores the
archive and enqueues the job, in that order, with no storage call inside a transaction.
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
from dataclasses import dataclass

import msgspec

from reseller_core.commands.problems import NO_PROBLEMS, InputProblems
from reseller_core.commands.transfers import RequestImport
from reseller_core.domain.archive_safety import SYNC_REASONS, ArchiveRejected
from reseller_core.domain.ids import parse_ulid
from reseller_core.domain.transfers import (
    MAX_ACTIVE_JOBS_PER_USER,
    Import,
    ImportStatus,
    import_is_stale,
    import_stalled_message,
    import_storage_key,
)
from reseller_core.domain.users import User
from reseller_core.domain.validation import Errors
from reseller_core.errors import (
    EmailNotConfirmed,
    ImportFailed,
    NotFound,
    TooManyActiveJobs,
)
from reseller_core.ports import Clock, IdFactory, ObjectStorage, TaskQueue
from reseller_core.ports.unit_of_work import UnitOfWorkFactory
from reseller_core.services.config import CoreConfig
from reseller_core.services.transfers.archive_reader import SafeArchive
from reseller_core.services.transfers.import_job import ImportJob, archive_limits
from reseller_core.services.transfers.jobs import import_job

log = logging.getLogger(__name__)

IMPORT_NOT_FOUND = "Import not found"
FILENAME_MAX = 255


@dataclass(frozen=True, slots=True)
class ImportPage:
    imports: list[Import]
    page: int
    page_size: int
    total_count: int


def request_body_limit(max_archive_bytes: int) -> int:
    """The ``POST /imports`` body limit (spec 50 §9.1): base64 of the largest archive + 64 KiB."""
    return 4 * -(-max_archive_bytes // 3) + 64 * 1024


class ImportService:
    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        reader: UnitOfWorkFactory,
        storage: ObjectStorage,
        queue: TaskQueue,
        clock: Clock,
        ids: IdFactory,
        config: CoreConfig,
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._storage = storage
        self._queue = queue
        self._clock = clock
        self._ids = ids
        self._config = config
        self._job = ImportJob(uow=uow, storage=storage, clock=clock, ids=ids, config=config)

    async def request(
        self, user: User, command: RequestImport | None, problems: InputProblems = NO_PROBLEMS
    ) -> Import:
        """``POST /imports``: 403, 400, 422 ``import_failed``/``validation_failed``, 202."""
        self.check_write_gate(user)
        problems.raise_invalid_request()
        if command is None:
            raise ImportFailed("Import payload is required")
        data = self._checked_archive(command, problems)
        try:
            SafeArchive(io.BytesIO(data), archive_limits(self._config)).close()
        except ArchiveRejected as error:
            raise ImportFailed(
                f"Could not start import: {SYNC_REASONS.get(error.code, error.code)}",
                error_code=error.code,
            ) from None
        now = self._clock.now()
        import_id = self._ids.new_id()
        record = Import(
            id=import_id,
            user_id=user.id,
            status=ImportStatus.QUEUED,
            source_filename=command.filename.strip(),
            source_storage_key=import_storage_key(user.id, import_id),
            requested_at=now,
            created_at=now,
            updated_at=now,
        )
        async with self._uow() as uow:
            if await uow.imports.count_active(user.id) >= MAX_ACTIVE_JOBS_PER_USER:
                raise TooManyActiveJobs(
                    f"You already have {MAX_ACTIVE_JOBS_PER_USER} imports queued or running; "
                    "wait for one to finish"
                )
            await uow.imports.add(record)
            await uow.commit()
        try:
            await self._storage.put(record.source_storage_key, data, content_type="application/zip")
            await self._queue.enqueue(import_job(import_id))
        except Exception:
            log.exception("import %s could not be started", import_id)
            await self._mark_not_started(import_id)
            raise ImportFailed("Could not start import") from None
        return record

    def check_write_gate(self, user: User) -> None:
        """403 ``email_not_confirmed`` (spec 50 §1); the edge calls it before reading a body."""
        if self._config.require_email_confirmation and user.confirmed_at is None:
            raise EmailNotConfirmed()

    def _checked_archive(self, command: RequestImport, problems: InputProblems) -> bytes:
        errors = Errors()
        limit = self._config.transfers.max_archive_bytes
        filename = command.filename.strip()
        if not errors.carry("filename", problems.fields):
            if not filename:
                errors.add("filename", "can't be blank")
            elif len(filename) > FILENAME_MAX:
                errors.add("filename", f"should be at most {FILENAME_MAX} character(s)")
            elif not filename.lower().endswith(".zip"):
                errors.add("filename", "must be a .zip archive")
        data = b""
        if not errors.carry("archive_base64", problems.fields):
            if not command.archive_base64:
                errors.add("archive_base64", "can't be blank")
            # Decoded size is bounded before decoding: 4 characters make 3 bytes.
            elif len(command.archive_base64) > 4 * -(-limit // 3):
                errors.add("archive_base64", f"must be {limit} bytes or smaller after decoding")
            else:
                try:
                    data = base64.b64decode(command.archive_base64, validate=True)
                except (binascii.Error, ValueError):
                    errors.add("archive_base64", "must be valid base64")
                else:
                    if len(data) > limit:
                        errors.add(
                            "archive_base64", f"must be {limit} bytes or smaller after decoding"
                        )
        errors.raise_if_any()
        return data

    async def _mark_not_started(self, import_id: str) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            record = await uow.imports.get_by_id(import_id)
            if record is not None:
                await uow.imports.update(
                    msgspec.structs.replace(
                        record,
                        status=ImportStatus.FAILED,
                        finished_at=now,
                        error_message="Import failed: could not be started",
                        error_code="import_not_started",
                        updated_at=now,
                    )
                )
                await uow.commit()

    async def get(self, user: User, import_id: str) -> Import:
        canonical = parse_ulid(import_id)
        if canonical is None:
            raise NotFound(IMPORT_NOT_FOUND)
        async with self._reader() as uow:
            record = await uow.imports.get(user.id, canonical)
        if record is None:
            raise NotFound(IMPORT_NOT_FOUND)
        return await self._settle(record)

    async def _settle(self, record: Import) -> Import:
        """Decision Q10: an import quiet past the stale window reads (and stays) ``failed``."""
        now = self._clock.now()
        window = self._config.transfers.export_stale_after_s
        if not import_is_stale(record, now, window):
            return record
        stalled = msgspec.structs.replace(
            record,
            status=ImportStatus.FAILED,
            finished_at=now,
            error_message=import_stalled_message(record.status, window),
            error_code="stalled",
            updated_at=now,
        )
        async with self._uow() as uow:
            current = await uow.imports.get_by_id(record.id)
            if current is None or current.updated_at != record.updated_at:
                return current or record  # the job moved it meanwhile: its state wins
            await uow.imports.update(stalled)
            await uow.commit()
        return stalled

    async def list(self, user: User, *, page: int, page_size: int) -> ImportPage:
        async with self._reader() as uow:
            total = await uow.imports.count(user.id)
            found = await uow.imports.list(user.id, offset=(page - 1) * page_size, limit=page_size)
        settled = [await self._settle(record) for record in found]
        return ImportPage(imports=settled, page=page, page_size=page_size, total_count=total)

    async def run(self, import_id: str) -> None:
        """The job: see ``import_job.ImportJob``."""
        await self._job.run(import_id)
