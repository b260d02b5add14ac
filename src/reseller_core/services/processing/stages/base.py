"""What a stage is: one step of a run, committed on its own, skipped when already done."""

from __future__ import annotations

from typing import Protocol

from reseller_core.ports import AIProvider, IdFactory
from reseller_core.services.processing.context import RunContext
from reseller_core.services.processing.journal import RunJournal
from reseller_core.services.processing.usage import UsageMeter


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


class ProviderStage:
    """The shape of the stages that ask the AI provider for one artifact and save it.

    They read the facts through the journal, meter the call, and save the artifact with its
    usage event and progress in one unit of work.
    """

    def __init__(
        self, *, journal: RunJournal, usage: UsageMeter, ai: AIProvider, ids: IdFactory
    ) -> None:
        self._journal = journal
        self._usage = usage
        self._ai = ai
        self._ids = ids
