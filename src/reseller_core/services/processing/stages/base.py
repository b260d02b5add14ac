"""What a stage is: one step of a run, committed on its own, skipped when already done."""

from __future__ import annotations

from typing import Protocol

from reseller_core.services.processing.context import RunContext


class Stage(Protocol):
    """One stage of a processing run (spec 30 §6).

    ``run`` calls providers with no unit of work open, then commits its output, the run's
    new step and progress (and its usage event) in one unit of work through the
    ``RunJournal``. On a resumed run it first checks ``ctx.step``/``ctx.progress`` and
    reloads its earlier output instead of repeating work, so a run that is killed and
    resumed ends in the same state as one that was not.

    A stage fails the run by raising ``PipelineFailure``; anything it can degrade (one
    listing, the variants) it records in the progress and returns normally.
    """

    async def run(self, ctx: RunContext) -> None: ...
