"""The processing pipeline: one run, every stage of spec 30 §6, durably and idempotently."""

from __future__ import annotations

from reseller_core.services.deps import Deps

PROCESS_RUN_JOB = "process_run"
"""Job name; its args are ``{"run_id": <ULID>}``."""


class PipelineService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def process(self, run_id: str) -> None:
        """Claim the run and execute it to ``completed`` or ``failed``.

        Safe to call twice: a run that is not claimable (already finished, or running
        under a live worker) is left alone.
        """
        raise NotImplementedError


class RunSweeper:
    """Re-enqueues runs left ``queued``/``running`` by a crashed worker or a restart."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def sweep(self) -> int:
        """Enqueue every stale run again; returns how many were enqueued."""
        raise NotImplementedError
