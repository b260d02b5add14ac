"""Processing: executing runs (spec 30 §5-§6) durably, stage by stage.

- ``runner``: the run lifecycle (claim, keepalive, failure) around the stages.
- ``stages/``: one module per stage, in ``stages.default_stages`` order.
- ``progress``: the typed run progress stored in the run's ``payload``.
- ``journal``: the writes every stage shares (ownership checks, progress commits).
- ``usage``: usage events and provider-call metering.
- ``sweeper``: re-enqueues runs whose worker died.
- ``jobs``: the job kinds and the handlers the queue calls.

The pure rules (which images to recognise, what a recognition may fill in) live in
``reseller_core.domain.recognition``.
"""

from reseller_core.services.processing.failures import PipelineFailure
from reseller_core.services.processing.jobs import (
    PROCESS_RUN_JOB,
    JobHandler,
    job_handlers,
    process_run_job,
)
from reseller_core.services.processing.progress import RunProgress
from reseller_core.services.processing.runner import PipelineService
from reseller_core.services.processing.sweeper import RunSweeper

__all__ = [
    "PROCESS_RUN_JOB",
    "JobHandler",
    "PipelineFailure",
    "PipelineService",
    "RunProgress",
    "RunSweeper",
    "job_handlers",
    "process_run_job",
]
