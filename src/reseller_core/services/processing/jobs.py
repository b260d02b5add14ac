"""The background job kinds processing runs on, and their handlers.

A job is a name and JSON-safe args (``reseller_core.ports.Job``); the queue adapter calls
the handler registered for the name. A new job kind (lifestyle scenes, video, exports) is
a name and a handler here, with the service that does the work in a module of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from reseller_core.ports import Job

PROCESS_RUN_JOB = "process_run"
"""Job name; its args are ``{"run_id": <ULID>}``."""

JobHandler = Callable[[Mapping[str, Any]], Awaitable[None]]
"""What a queue calls for one job: the job's args in, nothing out, never raising for the
job's own failures (those are recorded where the job's outcome is read)."""


class RunProcessor(Protocol):
    async def process(self, run_id: str) -> None: ...


def process_run_job(run_id: str) -> Job:
    """The job that executes (or resumes) one processing run."""
    return Job(PROCESS_RUN_JOB, {"run_id": run_id})


def job_handlers(*, runs: RunProcessor) -> dict[str, JobHandler]:
    """Every job kind processing defines, with the handler the queue should call."""

    async def process_run(args: Mapping[str, Any]) -> None:
        await runs.process(str(args["run_id"]))

    return {PROCESS_RUN_JOB: process_run}
