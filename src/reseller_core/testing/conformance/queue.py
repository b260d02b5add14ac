"""Conformance suite for the ``TaskQueue`` port.

Subclass :class:`TaskQueueConformance` and provide ``queue_factory``: a fixture returning a
function that takes the job handlers and returns an async context manager yielding a
running queue (so start-up and shutdown stay the adapter's business). Implement ``settle``
if jobs only run when driven (the recording fake) or run elsewhere; it must return only
once no job (retries included) is waiting or running.

Two declarations describe what a queue promises beyond delivery, and the suite checks
them: ``max_retries`` (how often the queue under test delivers a job whose handler raised
again; 0 for queues that never retry) and ``unacknowledged`` (for queues that acknowledge
jobs, how many are delivered but not acknowledged yet).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager

import pytest

from reseller_core.ports.queue import Job, TaskQueue

JobHandler = Callable[[Mapping[str, str]], Awaitable[None]]
QueueFactory = Callable[[Mapping[str, JobHandler]], AbstractAsyncContextManager[TaskQueue]]


class TaskQueueConformance:
    """Delivery, arguments and fault isolation every ``TaskQueue`` owes the core."""

    pytestmark = pytest.mark.asyncio

    timeout_s: float = 5.0
    """How long to wait for jobs to run (raise it for queues with real brokers)."""

    max_retries: int = 0
    """How often the queue built by ``queue_factory`` delivers a failed job again."""

    @pytest.fixture
    def queue_factory(self) -> QueueFactory:
        raise NotImplementedError("provide a `queue_factory` fixture")

    async def settle(self, queue: TaskQueue) -> None:
        """Let the queue run what it was given; the default just yields to the loop."""
        await asyncio.sleep(0)

    async def unacknowledged(self, queue: TaskQueue) -> int | None:
        """Jobs delivered to a handler and not acknowledged yet; None if the queue has no acks."""
        return None

    async def _wait_until(self, queue: TaskQueue, done: Callable[[], bool]) -> None:
        async def poll() -> None:
            await self.settle(queue)
            while not done():
                await asyncio.sleep(0.005)
                await self.settle(queue)

        await asyncio.wait_for(poll(), timeout=self.timeout_s)

    async def test_enqueued_job_runs_with_its_args(self, queue_factory: QueueFactory) -> None:
        seen: list[dict[str, str]] = []

        async def handle(args: Mapping[str, str]) -> None:
            seen.append(dict(args))

        async with queue_factory({"process_run": handle}) as queue:
            await queue.enqueue(Job("process_run", {"run_id": "01JQ9A3RUN00000000000000AB"}))
            await self._wait_until(queue, lambda: len(seen) == 1)
        assert seen == [{"run_id": "01JQ9A3RUN00000000000000AB"}]

    async def test_every_job_runs(self, queue_factory: QueueFactory) -> None:
        # Delivery is at-least-once, so a repeat is allowed; a missing job is not.
        expected = {str(number) for number in range(20)}
        seen: list[str] = []

        async def handle(args: Mapping[str, str]) -> None:
            seen.append(args["n"])

        async with queue_factory({"count": handle}) as queue:
            for number in sorted(expected, key=int):
                await queue.enqueue(Job("count", {"n": number}))
            await self._wait_until(queue, lambda: set(seen) >= expected)
        assert set(seen) == expected

    async def test_jobs_are_routed_by_name(self, queue_factory: QueueFactory) -> None:
        seen: list[tuple[str, str]] = []

        async def first(args: Mapping[str, str]) -> None:
            seen.append(("first", args["id"]))

        async def second(args: Mapping[str, str]) -> None:
            seen.append(("second", args["id"]))

        async with queue_factory({"first": first, "second": second}) as queue:
            await queue.enqueue(Job("second", {"id": "b"}))
            await queue.enqueue(Job("first", {"id": "a"}))
            await self._wait_until(queue, lambda: len(seen) == 2)
        assert sorted(seen) == [("first", "a"), ("second", "b")]

    async def test_failing_handler_does_not_stop_later_jobs(
        self, queue_factory: QueueFactory
    ) -> None:
        seen: list[str] = []

        async def explode(args: Mapping[str, str]) -> None:
            raise RuntimeError("handler failure injected by the conformance suite")

        async def handle(args: Mapping[str, str]) -> None:
            seen.append(args["id"])

        async with queue_factory({"explode": explode, "ok": handle}) as queue:
            await queue.enqueue(Job("explode", {"id": "x"}))
            await queue.enqueue(Job("ok", {"id": "after-failure"}))
            await queue.enqueue(Job("explode", {"id": "y"}))
            await queue.enqueue(Job("ok", {"id": "still-running"}))
            await self._wait_until(queue, lambda: len(seen) == 2)
        assert sorted(seen) == ["after-failure", "still-running"]

    async def test_unknown_job_does_not_stop_later_jobs(self, queue_factory: QueueFactory) -> None:
        seen: list[str] = []

        async def handle(args: Mapping[str, str]) -> None:
            seen.append(args["id"])

        async with queue_factory({"ok": handle}) as queue:
            await queue.enqueue(Job("no_such_job", {"id": "lost"}))
            await queue.enqueue(Job("ok", {"id": "found"}))
            await self._wait_until(queue, lambda: len(seen) == 1)
        assert seen == ["found"]

    async def test_handler_may_enqueue_follow_up_jobs(self, queue_factory: QueueFactory) -> None:
        seen: list[str] = []
        holder: list[TaskQueue] = []

        async def parent(args: Mapping[str, str]) -> None:
            seen.append("parent")
            await holder[0].enqueue(Job("child", {"parent": args["id"]}))

        async def child(args: Mapping[str, str]) -> None:
            seen.append(f"child of {args['parent']}")

        async with queue_factory({"parent": parent, "child": child}) as queue:
            holder.append(queue)
            await queue.enqueue(Job("parent", {"id": "p1"}))
            await self._wait_until(queue, lambda: len(seen) == 2)
        assert seen == ["parent", "child of p1"]

    async def test_failed_job_is_retried_until_it_succeeds(
        self, queue_factory: QueueFactory
    ) -> None:
        # It fails on every delivery but the last one the queue allows.
        calls: list[str] = []
        succeeded: list[str] = []

        async def flaky(args: Mapping[str, str]) -> None:
            calls.append(args["id"])
            if len(calls) <= self.max_retries:
                raise RuntimeError("transient failure injected by the conformance suite")
            succeeded.append(args["id"])

        async with queue_factory({"flaky": flaky}) as queue:
            await queue.enqueue(Job("flaky", {"id": "j1"}))
            await self._wait_until(queue, lambda: bool(succeeded))
            await self.settle(queue)
        assert calls == ["j1"] * (self.max_retries + 1)
        assert succeeded == ["j1"]

    async def test_retries_are_bounded(self, queue_factory: QueueFactory) -> None:
        calls: list[str] = []

        async def broken(args: Mapping[str, str]) -> None:
            calls.append(args["id"])
            raise RuntimeError("permanent failure injected by the conformance suite")

        async with queue_factory({"broken": broken}) as queue:
            await queue.enqueue(Job("broken", {"id": "j1"}))
            await self._wait_until(queue, lambda: len(calls) > self.max_retries)
            await self.settle(queue)
            assert await self.unacknowledged(queue) in (None, 0)
        assert calls == ["j1"] * (self.max_retries + 1)

    async def test_job_is_acknowledged_only_after_its_handler_finished(
        self, queue_factory: QueueFactory
    ) -> None:
        observed: list[int | None] = []
        holder: list[TaskQueue] = []

        async def handle(args: Mapping[str, str]) -> None:
            observed.append(await self.unacknowledged(holder[0]))

        async with queue_factory({"job": handle}) as queue:
            holder.append(queue)
            await queue.enqueue(Job("job", {"id": "j1"}))
            await self._wait_until(queue, lambda: bool(observed))
            await self.settle(queue)
            after = await self.unacknowledged(queue)
        if observed == [None]:
            assert after is None  # a queue without acknowledgements
        else:
            assert (observed, after) == ([1], 0)
