"""A usage event is written in the unit of work of the work it counts: both or neither."""

from __future__ import annotations

from typing import Any

import pytest

from reseller_core.domain.runs import RunStatus
from reseller_core.ports import UsageEvent
from reseller_core.testing.memory_uow import MemoryUsageRepository
from tests.unit.test_pipeline import Env


class MeterDown(RuntimeError):
    pass


async def test_a_draft_whose_usage_event_fails_is_not_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = Env()
    run_id = await env.seed()
    record = MemoryUsageRepository.record

    async def failing(self: MemoryUsageRepository, event: UsageEvent) -> Any:
        if event.bucket == "ai_drafts":
            raise MeterDown("usage table unavailable")
        return await record(self, event)

    monkeypatch.setattr(MemoryUsageRepository, "record", failing)
    await env.pipeline.process(run_id)  # the run fails: the stage's unit of work rolls back
    assert env.run(run_id).status == RunStatus.FAILED
    assert env.row(run_id).description_draft is None
    assert "ai_drafts" not in env.usage(run_id)
    # The stages before it committed their own work and usage together.
    assert env.row(run_id).product.ai_summary is not None


async def test_a_completed_run_counts_each_thing_it_made_once() -> None:
    env = Env()
    run_id = await env.seed()
    await env.pipeline.process(run_id)
    assert env.row(run_id).description_draft is not None
    assert env.row(run_id).price_research is not None
    assert env.usage(run_id) == {"ai_drafts": 1, "price_research": 1, "background_removals": 1}
