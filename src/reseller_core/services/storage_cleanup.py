"""Deleting storage objects in the background, after the rows that named them are gone.

A deleted product or image leaves its objects to this job (spec 20 §3.5, spec 30 §4.1):
storage is never called inside a write transaction, and a failed delete is logged and
left behind rather than failing anything the seller sees.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence

from reseller_core.ports import Job, ObjectStorage
from reseller_core.ports.queue import JobHandler, TaskQueue

log = logging.getLogger(__name__)

DELETE_OBJECTS_JOB = "delete_objects"
"""Job name; its args are ``{"keys": <JSON list of storage keys>}``."""


def delete_objects_job(keys: Sequence[str]) -> Job:
    return Job(DELETE_OBJECTS_JOB, {"keys": json.dumps(list(keys))})


async def queue_object_deletion(queue: TaskQueue, keys: Sequence[str]) -> None:
    """Queue the deletion of ``keys``, after the rows naming them are committed.

    Best effort (spec 20 §3.5): the rows are already gone or replaced, so a queue that
    cannot take the job is logged, never the seller's problem.
    """
    if not keys:
        return
    try:
        await queue.enqueue(delete_objects_job(keys))
    except Exception as error:
        log.warning(
            "storage cleanup of %d objects not queued (%s)", len(keys), type(error).__name__
        )


def storage_cleanup_job_handlers(storage: ObjectStorage) -> dict[str, JobHandler]:
    async def delete_objects(args: Mapping[str, str]) -> None:
        keys = json.loads(args.get("keys", "[]"))
        for key in keys if isinstance(keys, list) else ():
            try:
                await storage.delete(str(key))
            except Exception as error:
                log.warning("storage object %s not deleted (%s)", key, type(error).__name__)

    return {DELETE_OBJECTS_JOB: delete_objects}
