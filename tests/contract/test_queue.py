"""TaskQueue conformance for the recording fake and the in-process asyncio queue,
plus the in-process queue's lifecycle (buffering, join, stop, logging)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import pytest

from reseller_adapters.queues.inprocess import InProcessTaskQueue, JobHandler
from reseller_core.ports.queue import Job, TaskQueue
from reseller_core.testing.conformance.queue import QueueFactory, TaskQueueConformance
from reseller_core.testing.fakes import RecordingTaskQueue


class TestRecordingTaskQueue(TaskQueueConformance):
    @pytest.fixture
    def queue_factory(self) -> QueueFactory:
        @asynccontextmanager
        async def factory(handlers: Mapping[str, JobHandler]) -> AsyncIterator[TaskQueue]:
            yield RecordingTaskQueue(handlers)

        return factory

    async def settle(self, queue: TaskQueue) -> None:
        assert isinstance(queue, RecordingTaskQueue)
        await queue.run_all()


class TestInProcessTaskQueue(TaskQueueConformance):
    @pytest.fixture
    def queue_factory(self) -> QueueFactory:
        @asynccontextmanager
        async def factory(handlers: Mapping[str, JobHandler]) -> AsyncIterator[TaskQueue]:
            queue = InProcessTaskQueue(handlers, concurrency=3)
            await queue.start()
            try:
                yield queue
            finally:
                await queue.stop()

        return factory

    async def settle(self, queue: TaskQueue) -> None:
        assert isinstance(queue, InProcessTaskQueue)
        await queue.join()


# --- the recording fake ----------------------------------------------------------------------


async def test_recording_queue_records_and_runs_on_demand() -> None:
    ran: list[str] = []

    async def handle(args: Mapping[str, str]) -> None:
        ran.append(args["run_id"])

    queue = RecordingTaskQueue()
    queue.register("process_run", handle)
    await queue.enqueue(Job("process_run", {"run_id": "r1"}))
    await queue.enqueue(Job("unknown", {}))
    assert queue.names() == ["process_run", "unknown"]
    assert ran == []
    assert await queue.run_all() == 2
    assert ran == ["r1"]
    assert [job.name for job, _error in queue.failures] == ["unknown"]
    assert await queue.run_all() == 0
    assert len(queue.jobs) == 2


async def test_recording_queue_can_raise_the_first_failure() -> None:
    async def explode(args: Mapping[str, str]) -> None:
        raise RuntimeError(args["n"])

    queue = RecordingTaskQueue({"explode": explode})
    await queue.enqueue(Job("explode", {"n": "first"}))
    await queue.enqueue(Job("explode", {"n": "second"}))
    with pytest.raises(RuntimeError, match="first"):
        await queue.run_all(raise_errors=True)
    assert len(queue.failures) == 2
    assert not queue.pending


# --- the in-process queue ------------------------------------------------------------------


async def test_jobs_enqueued_before_start_are_buffered() -> None:
    ran: list[str] = []

    async def handle(args: Mapping[str, str]) -> None:
        ran.append(args["id"])

    queue = InProcessTaskQueue({"job": handle})
    await queue.enqueue(Job("job", {"id": "early"}))
    with pytest.raises(RuntimeError, match="not started"):
        await queue.join()
    assert ran == []
    await queue.start()
    try:
        await queue.join()
        assert ran == ["early"]
    finally:
        await queue.stop()


async def test_handlers_mapping_is_read_at_dispatch_time() -> None:
    """The composition root fills the handler dict after building the services."""
    handlers: dict[str, JobHandler] = {}
    queue = InProcessTaskQueue(handlers)
    ran: list[str] = []

    async def handle(args: Mapping[str, str]) -> None:
        ran.append("late")

    handlers["late"] = handle
    await queue.start()
    try:
        await queue.enqueue(Job("late", {}))
        await queue.join()
    finally:
        await queue.stop()
    assert ran == ["late"]


async def test_register_adds_a_handler() -> None:
    queue = InProcessTaskQueue()
    ran: list[str] = []

    async def handle(args: Mapping[str, str]) -> None:
        ran.append(args["id"])

    queue.register("job", handle)
    await queue.start()
    try:
        await queue.enqueue(Job("job", {"id": "1"}))
        await queue.join()
    finally:
        await queue.stop()
    assert ran == ["1"]


async def test_concurrency_bounds_parallel_jobs() -> None:
    active = 0
    peak = 0
    release = asyncio.Event()

    async def handle(args: Mapping[str, str]) -> None:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await release.wait()
        active -= 1

    queue = InProcessTaskQueue({"job": handle}, concurrency=2)
    await queue.start()
    try:
        for number in range(5):
            await queue.enqueue(Job("job", {"n": str(number)}))
        for _ in range(10):
            await asyncio.sleep(0)
        assert peak == 2
        release.set()
        await queue.join()
    finally:
        await queue.stop()
    assert peak == 2


async def test_stop_drops_pending_jobs_and_start_resumes() -> None:
    ran: list[str] = []
    blocker = asyncio.Event()

    async def slow(args: Mapping[str, str]) -> None:
        await blocker.wait()
        ran.append("slow")

    async def fast(args: Mapping[str, str]) -> None:
        ran.append(args["id"])

    queue = InProcessTaskQueue({"slow": slow, "fast": fast}, concurrency=1)
    await queue.start()
    await queue.enqueue(Job("slow", {}))
    await queue.enqueue(Job("fast", {"id": "dropped"}))
    await asyncio.sleep(0)
    running_before_stop = queue.running
    await queue.stop()
    assert (running_before_stop, queue.running) == (True, False)
    assert ran == []
    await queue.join()  # nothing pending: returns at once
    await queue.start()
    try:
        await queue.enqueue(Job("fast", {"id": "after-restart"}))
        await queue.join()
    finally:
        await queue.stop()
    assert ran == ["after-restart"]


async def test_failures_are_logged_with_the_job_name_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def explode(args: Mapping[str, str]) -> None:
        raise RuntimeError("boom")

    queue = InProcessTaskQueue({"explode": explode})
    await queue.start()
    try:
        with caplog.at_level(logging.INFO, logger="reseller_adapters.queues.inprocess"):
            await queue.enqueue(Job("explode", {"token": "s3cr3t-value"}))
            await queue.enqueue(Job("missing", {}))
            await queue.join()
    finally:
        await queue.stop()
    messages = [record.getMessage() for record in caplog.records]
    assert any("'explode' failed" in message and "token" in message for message in messages)
    assert any("no handler for job 'missing'" in message for message in messages)
    assert not any("s3cr3t-value" in message for message in messages)
    await queue.check()


async def test_check_reports_dead_workers() -> None:
    queue = InProcessTaskQueue()
    await queue.check()
    await queue.start()
    try:
        await queue.check()
        for worker in queue._workers:
            worker.cancel()
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError):
            await queue.check()
    finally:
        await queue.stop()


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        InProcessTaskQueue(concurrency=0)
