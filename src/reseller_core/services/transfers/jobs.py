"""The export and import job kinds and the handlers the queue calls.

The same handlers run in the in-process queue and on taskiq workers. Jobs carry the
record id only; the record's status and heartbeat decide whether a delivery does work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from reseller_core.ports import Job
from reseller_core.services.processing.jobs import JobHandler

EXPORT_JOB = "run_export"
IMPORT_JOB = "run_import"


class _Runner(Protocol):
    async def run(self, record_id: str) -> None: ...


def export_job(export_id: str) -> Job:
    return Job(EXPORT_JOB, {"export_id": export_id})


def import_job(import_id: str) -> Job:
    return Job(IMPORT_JOB, {"import_id": import_id})


def transfer_job_handlers(
    *, exports: _Runner, imports: _Runner | None = None
) -> dict[str, JobHandler]:
    """The handlers of the transfer jobs (imports only where an import service exists)."""

    async def run_export(args: Mapping[str, Any]) -> None:
        await exports.run(str(args["export_id"]))

    handlers: dict[str, JobHandler] = {EXPORT_JOB: run_export}
    if imports is not None:
        importer = imports

        async def run_import(args: Mapping[str, Any]) -> None:
            await importer.run(str(args["import_id"]))

        handlers[IMPORT_JOB] = run_import
    return handlers
