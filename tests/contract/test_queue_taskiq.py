"""TaskQueue conformance for the taskiq queue on the real Redis, plus what only a shared,
acknowledging queue promises: retries, redelivery after a consumer dies, clean stops.

Each test uses its own key prefix. The crash test runs a consumer in a child process
(this module, run with ``python -m``) and SIGKILLs it in the middle of a job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from reseller_adapters.queues.taskiq_redis import (
    CONSUMER_GROUP,
    JobHandler,
    QueueUnavailable,
    TaskiqRedisQueue,
)
from reseller_core.ports.queue import Job, TaskQueue
from reseller_core.testing.conformance.queue import QueueFactory, TaskQueueConformance
from reseller_entrypoints.plugins import BuildContext
from reseller_entrypoints.settings import load_settings
from tests.services import POSTGRES_SERVER, REDIS_URL, free_port, unique_prefix

pytestmark = pytest.mark.redis

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 20.0
"""Upper bound on any wait here; reaching it fails the test instead of hanging it."""


def make_queue(
    redis_url: str,
    prefix: str,
    handlers: Mapping[str, JobHandler] | None = None,
    **options: Any,
) -> TaskiqRedisQueue:
    settings: dict[str, Any] = {
        "prefix": prefix,
        "concurrency": 3,
        "max_retries": 2,
        "retry_backoff_s": 0.01,
        "redelivery_after_s": 1.0,
        "shutdown_grace_s": 5.0,
        **options,
    }
    return TaskiqRedisQueue(redis_url, handlers, **settings)


async def _stream_counts(redis: Redis, stream: str) -> tuple[int, int]:
    """(entries in the stream, entries delivered and not acknowledged)."""
    length = int(await redis.xlen(stream))
    if not length:
        return 0, 0
    summary = await redis.xpending(stream, CONSUMER_GROUP)
    return length, int(summary["pending"])


async def _eventually(predicate: Any, what: str, timeout: float = WAIT_S) -> None:
    """Poll an async or sync predicate until it holds; fail naming ``what`` otherwise."""

    async def poll() -> None:
        while True:
            outcome = predicate()
            if asyncio.iscoroutine(outcome):
                outcome = await outcome
            if outcome:
                return
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


class TestTaskiqRedisQueue(TaskQueueConformance):
    timeout_s = WAIT_S
    max_retries = 2

    @pytest.fixture
    def queue_factory(
        self, fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis
    ) -> QueueFactory:
        self.redis = fx_redis

        @asynccontextmanager
        async def factory(handlers: Mapping[str, JobHandler]) -> AsyncIterator[TaskQueue]:
            queue = make_queue(fx_redis_url, fx_redis_prefix, handlers)
            await queue.start()
            try:
                yield queue
            finally:
                await queue.aclose()

        return factory

    async def settle(self, queue: TaskQueue) -> None:
        """Acknowledged entries are deleted: an empty stream means nothing waits or runs."""
        assert isinstance(queue, TaskiqRedisQueue)
        stream = queue.stream

        async def empty() -> bool:
            return await _stream_counts(self.redis, stream) == (0, 0)

        await _eventually(empty, f"{stream} to drain")

    async def unacknowledged(self, queue: TaskQueue) -> int | None:
        assert isinstance(queue, TaskiqRedisQueue)
        return (await _stream_counts(self.redis, queue.stream))[1]


# --- retries ---------------------------------------------------------------------------------


async def test_a_dropped_job_is_logged_by_name_never_by_argument_values(
    fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    async def broken(args: Mapping[str, str]) -> None:
        calls.append(args["token"])
        raise RuntimeError("permanent failure")

    queue = make_queue(fx_redis_url, fx_redis_prefix, {"broken": broken}, max_retries=1)
    caplog.set_level(logging.INFO, logger="reseller_adapters.queues.taskiq_redis")
    await queue.start()
    try:
        await queue.enqueue(Job("broken", {"token": "s3cr3t-value"}))
        await _eventually(lambda: "is dropped" in caplog.text, "the drop log line")
        await _eventually(lambda: _is_drained(fx_redis, queue.stream), "a drained stream")
    finally:
        await queue.aclose()
    assert calls == ["s3cr3t-value", "s3cr3t-value"]
    assert await _stream_counts(fx_redis, queue.stream) == (0, 0)
    messages = [record.getMessage() for record in caplog.records]
    assert any("'broken' failed 2 time(s) and is dropped (args: token)" in m for m in messages)
    assert any("'broken' failed (RuntimeError), attempt 1 of 2" in m for m in messages)
    assert "s3cr3t-value" not in caplog.text


async def test_a_worker_never_takes_over_a_job_it_is_running_itself(
    fx_redis_url: str,
    fx_redis_prefix: str,
    fx_redis: Redis,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A late renewal (a busy event loop) makes a running job look orphaned; the worker
    running it must not start it a second time beside itself."""
    calls: list[str] = []
    release = asyncio.Event()

    async def slow(args: Mapping[str, str]) -> None:
        calls.append(args["id"])
        await release.wait()

    queue = make_queue(fx_redis_url, fx_redis_prefix, {"slow": slow}, redelivery_after_s=0.3)
    caplog.set_level(logging.INFO, logger="reseller_adapters.queues.taskiq_redis")

    async def late_renewal(message_ids: list[str]) -> None:
        """Every renewal comes too late: the job's idle time only grows."""

    await queue.start()
    monkeypatch.setattr(queue._broker, "renew", late_renewal)
    try:
        await queue.enqueue(Job("slow", {"id": "one"}))

        async def claimed_again() -> bool:
            pending = await fx_redis.xpending_range(
                queue.stream, CONSUMER_GROUP, min="-", max="+", count=1
            )
            return bool(pending) and int(pending[0]["times_delivered"]) >= 2

        # XAUTOCLAIM has found the job idle past the redelivery time (and claimed it).
        await _eventually(claimed_again, "the running job to look orphaned")
        release.set()
        await _eventually(lambda: _is_drained(fx_redis, queue.stream), "a drained stream")
    finally:
        release.set()
        await queue.aclose()
    assert calls == ["one"]
    assert "taken over" not in caplog.text


async def test_a_retry_is_a_new_delivery_any_worker_may_take(
    fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis
) -> None:
    """The failed delivery is acknowledged once its retry is in the stream, not before."""
    seen: list[tuple[str, int]] = []
    release = asyncio.Event()

    async def flaky(args: Mapping[str, str]) -> None:
        seen.append((args["id"], await _stream_counts(fx_redis, queue.stream)))
        if len(seen) == 1:
            raise RuntimeError("transient")
        await release.wait()

    queue = make_queue(fx_redis_url, fx_redis_prefix, {"flaky": flaky})
    await queue.start()
    try:
        await queue.enqueue(Job("flaky", {"id": "j1"}))
        await _eventually(lambda: len(seen) == 2, "the retry")
        # Only the retry is left: the first delivery was acknowledged and deleted.
        assert await _stream_counts(fx_redis, queue.stream) == (1, 1)
        release.set()
        await _eventually(
            lambda: _is_drained(fx_redis, queue.stream), "the retry to be acknowledged"
        )
    finally:
        await queue.aclose()
    assert [job_id for job_id, _ in seen] == ["j1", "j1"]


async def _is_drained(redis: Redis, stream: str) -> bool:
    return await _stream_counts(redis, stream) == (0, 0)


# --- redelivery ------------------------------------------------------------------------------


def _consume_until_killed(redis_url: str, prefix: str, marker: Path) -> None:
    """The child process: consume, and block forever inside the first job."""

    async def main() -> None:
        async def stuck(args: Mapping[str, str]) -> None:
            marker.write_text(f"{os.getpid()} {args['id']}")
            await asyncio.Event().wait()

        queue = make_queue(redis_url, prefix, {"slow": stuck})
        await queue.start()
        await asyncio.Event().wait()

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main())


@contextlib.contextmanager
def consumer_process(redis_url: str, prefix: str, marker: Path) -> Iterator[subprocess.Popen[str]]:
    """This module as a child consumer; killed on exit whatever happened."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.contract.test_queue_taskiq", redis_url, prefix, str(marker)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=10)


def test_a_child_process_uses_the_servers_of_the_tests() -> None:
    """A child that imports the test services (as the consumer below does) starts no
    throwaway server of its own: killed, it could not stop one."""
    probe = (
        "import tests.services as s, tests.throwaway_services as t; "
        "print(len(t.STARTED), s.POSTGRES_SERVER, s.REDIS_URL)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.split() == ["0", POSTGRES_SERVER, REDIS_URL]


async def test_a_job_whose_consumer_was_killed_is_redelivered_and_completes(
    fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    producer = make_queue(fx_redis_url, fx_redis_prefix)
    try:
        await producer.enqueue(Job("slow", {"id": "j1"}))
    finally:
        await producer.aclose()

    with consumer_process(fx_redis_url, fx_redis_prefix, marker) as child:

        def started() -> bool:
            if child.poll() is not None:
                output = child.stdout.read() if child.stdout else ""
                pytest.fail(f"the consumer process exited early:\n{output}")
            return marker.exists()

        await _eventually(started, "the child to start the job")
        # Running, hence not acknowledged: the entry is pending under the child's consumer.
        assert await _stream_counts(fx_redis, producer.stream) == (1, 1)
        (pending,) = await fx_redis.xpending_range(
            producer.stream, CONSUMER_GROUP, min="-", max="+", count=10
        )
        assert f"-{child.pid}-" in pending["consumer"].decode()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert marker.read_text() == f"{child.pid} j1"

    finished: list[str] = []

    async def slow(args: Mapping[str, str]) -> None:
        finished.append(args["id"])

    successor = make_queue(fx_redis_url, fx_redis_prefix, {"slow": slow})
    await successor.start()
    try:
        await _eventually(lambda: finished == ["j1"], "the job to be taken over")
        await _eventually(lambda: _is_drained(fx_redis, successor.stream), "the acknowledgement")
    finally:
        await successor.aclose()
    assert finished == ["j1"]


async def test_a_live_consumer_keeps_its_long_job(
    fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis
) -> None:
    """Renewal keeps a job that outlives ``redelivery_after_s`` away from other consumers."""
    runs: list[str] = []
    release = asyncio.Event()

    async def long_job(args: Mapping[str, str]) -> None:
        runs.append("owner")
        await release.wait()

    async def thief(args: Mapping[str, str]) -> None:
        runs.append("other")

    owner = make_queue(fx_redis_url, fx_redis_prefix, {"long": long_job})
    other = make_queue(fx_redis_url, fx_redis_prefix, {"long": thief})
    await owner.start()
    try:
        await owner.enqueue(Job("long", {}))
        await _eventually(lambda: runs == ["owner"], "the owner to start the job")
        await other.start()
        # The other consumer scans for idle jobs on every pass. Four renewals (one per third
        # of ``redelivery_after_s``) outlast the window in which an unrenewed job is taken.
        watch = _RenewalWatch(fx_redis, owner.stream)
        for _ in range(4):
            await watch.reset()
            await _eventually(watch.renewed, "a renewal")
        release.set()
        await _eventually(lambda: _is_drained(fx_redis, owner.stream), "the acknowledgement")
    finally:
        await other.aclose()
        await owner.aclose()
    assert runs == ["owner"]


async def _idle_ms(redis: Redis, stream: str) -> int:
    (entry,) = await redis.xpending_range(stream, CONSUMER_GROUP, min="-", max="+", count=1)
    return int(entry["time_since_delivered"])


class _RenewalWatch:
    """Sees a renewal as the pending entry's idle time going down between two polls.

    Comparing with the previous poll, not with one fixed reading, catches every renewal
    whatever the phase of the polling against the renewal timer.
    """

    def __init__(self, redis: Redis, stream: str) -> None:
        self._redis = redis
        self._stream = stream
        self._last = 0

    async def reset(self) -> None:
        self._last = await _idle_ms(self._redis, self._stream)

    async def renewed(self) -> bool:
        idle = await _idle_ms(self._redis, self._stream)
        dropped = idle < self._last
        self._last = idle
        return dropped


async def test_a_job_whose_consumers_keep_dying_is_dropped(
    fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    async def handle(args: Mapping[str, str]) -> None:
        ran.append(args["id"])

    queue = make_queue(
        fx_redis_url, fx_redis_prefix, {"poison": handle}, redelivery_after_s=0.2, max_deliveries=2
    )
    await fx_redis.xgroup_create(queue.stream, CONSUMER_GROUP, id="0", mkstream=True)
    await queue.enqueue(Job("poison", {"id": "p1"}))
    # Two consumers that took the job and died without acknowledging it.
    fetched = await fx_redis.xreadgroup(CONSUMER_GROUP, "ghost-1", {queue.stream: ">"}, count=1)
    message_id = fetched[0][1][0][0]
    await fx_redis.xclaim(queue.stream, CONSUMER_GROUP, "ghost-2", 0, [message_id])
    caplog.set_level(logging.INFO, logger="reseller_adapters.queues.taskiq_redis")
    await queue.start()
    try:
        await _eventually(lambda: _is_drained(fx_redis, queue.stream), "the job to be dropped")
    finally:
        await queue.aclose()
    assert ran == []
    assert "job 'poison' was taken over 2 times from workers that died" in caplog.text


# --- stopping --------------------------------------------------------------------------------


async def test_stop_lets_running_jobs_finish_within_the_grace_period(
    fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[str] = []

    async def job(args: Mapping[str, str]) -> None:
        started.set()
        await release.wait()
        finished.append(args["id"])

    queue = make_queue(fx_redis_url, fx_redis_prefix, {"job": job})
    await queue.start()
    await queue.enqueue(Job("job", {"id": "j1"}))
    await asyncio.wait_for(started.wait(), WAIT_S)
    stopping = asyncio.create_task(queue.stop())
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, WAIT_S)
    assert (queue.running, finished) == (False, ["j1"])
    assert await _stream_counts(fx_redis, queue.stream) == (0, 0)
    await queue.aclose()


async def test_a_job_interrupted_by_stop_is_not_acknowledged_and_runs_again(
    fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis
) -> None:
    started = asyncio.Event()

    async def endless(args: Mapping[str, str]) -> None:
        started.set()
        await asyncio.Event().wait()

    first = make_queue(fx_redis_url, fx_redis_prefix, {"job": endless}, shutdown_grace_s=0.05)
    await first.start()
    await first.enqueue(Job("job", {"id": "j1"}))
    await asyncio.wait_for(started.wait(), WAIT_S)
    await asyncio.wait_for(first.aclose(), WAIT_S)
    assert await _stream_counts(fx_redis, first.stream) == (1, 1)

    finished: list[str] = []

    async def quick(args: Mapping[str, str]) -> None:
        finished.append(args["id"])

    second = make_queue(fx_redis_url, fx_redis_prefix, {"job": quick})
    await second.start()
    try:
        await _eventually(lambda: finished == ["j1"], "the interrupted job to run again")
        await _eventually(lambda: _is_drained(fx_redis, second.stream), "the acknowledgement")
    finally:
        await second.aclose()


async def test_start_and_stop_are_idempotent(fx_redis_url: str, fx_redis_prefix: str) -> None:
    queue = make_queue(fx_redis_url, fx_redis_prefix)
    await queue.stop()
    await queue.start()
    name = queue.consumer_name
    await queue.start()
    assert (queue.running, queue.consumer_name) == (True, name)
    await queue.stop()
    await queue.stop()
    assert not queue.running
    await queue.aclose()


# --- namespacing, readiness, failures, settings --------------------------------------------


async def test_prefixes_keep_deployments_apart(fx_redis_url: str, fx_redis: Redis) -> None:
    prefixes = [unique_prefix("queue-a"), unique_prefix("queue-b")]
    seen: dict[str, list[str]] = {prefix: [] for prefix in prefixes}

    def recorder(prefix: str) -> JobHandler:
        async def handle(args: Mapping[str, str]) -> None:
            seen[prefix].append(args["id"])

        return handle

    queues = [make_queue(fx_redis_url, p, {"job": recorder(p)}) for p in prefixes]
    try:
        for queue in queues:
            await queue.start()
        await queues[0].enqueue(Job("job", {"id": "for-a"}))
        await queues[1].enqueue(Job("job", {"id": "for-b"}))
        for queue in queues:
            await _eventually(lambda q=queue: _is_drained(fx_redis, q.stream), "both streams")
    finally:
        for queue in queues:
            await queue.aclose()
        for prefix in prefixes:
            keys = [key async for key in fx_redis.scan_iter(match=f"{prefix}:*")]
            if keys:
                await fx_redis.delete(*keys)
    assert seen == {prefixes[0]: ["for-a"], prefixes[1]: ["for-b"]}
    assert [queue.stream for queue in queues] == [f"{p}:jobs" for p in prefixes]


async def test_check_pings_redis_and_reports_a_dead_consumer(
    fx_redis_url: str, fx_redis_prefix: str
) -> None:
    queue = make_queue(fx_redis_url, fx_redis_prefix)
    await queue.check()
    failing = asyncio.Event()
    listen = queue._broker.listen

    async def breaking_listen() -> AsyncIterator[Any]:
        async for message in listen():
            yield message
            if failing.is_set():
                raise RuntimeError("consumer crash injected by the test")

    queue._broker.listen = breaking_listen  # type: ignore[method-assign]
    await queue.start()
    try:
        await queue.check()
        failing.set()
        await queue.enqueue(Job("unknown", {}))
        assert queue._listener is not None
        await asyncio.wait([queue._listener], timeout=WAIT_S)
        with pytest.raises(RuntimeError, match="consumer has stopped"):
            await queue.check()
    finally:
        await queue.aclose()


async def test_an_unreachable_redis_fails_enqueue_and_check_quickly() -> None:
    queue = TaskiqRedisQueue(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.5)
    try:
        with pytest.raises(QueueUnavailable, match="could not enqueue job 'process_run'"):
            await queue.enqueue(Job("process_run", {"run_id": "r1"}))
        with pytest.raises(QueueUnavailable, match="Redis is unreachable"):
            await queue.check()
    finally:
        await queue.aclose()


async def test_only_one_worker_holds_the_sweeper_lease(
    fx_redis_url: str, fx_redis_prefix: str, fx_redis: Redis
) -> None:
    first, second = (
        make_queue(fx_redis_url, fx_redis_prefix),
        make_queue(fx_redis_url, fx_redis_prefix),
    )
    try:
        assert await first.sweep_lease(30) is True
        assert await second.sweep_lease(30) is False
        await fx_redis.delete(first.sweep_lease_key)  # the lease expired
        assert await second.sweep_lease(30) is True
    finally:
        await first.aclose()
        await second.aclose()


async def test_from_settings_reads_the_deployment_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "RESELLER_REDIS_URL": "redis://127.0.0.1:6390/3",
            "RESELLER_REDIS_PREFIX": "shop-eu",
            "RESELLER_JOB_MAX_RETRIES": "5",
            "RESELLER_WORKER_CONCURRENCY": "7",
            "RESELLER_JOB_REDELIVERY_AFTER_S": "45",
            "RESELLER_WORKER_SHUTDOWN_GRACE_S": "3",
        }
    )
    context = BuildContext(clock=None, ids=None, data_dir=tmp_path)  # type: ignore[arg-type]
    queue = TaskiqRedisQueue.from_settings(settings, context)
    try:
        assert queue.stream == "shop-eu:jobs"
        assert queue._handlers is context.job_handlers
        assert (queue._concurrency, queue._max_retries, queue._shutdown_grace_s) == (7, 5, 3.0)
        assert queue._broker.idle_timeout == 45_000
        kwargs = queue._broker.connection_pool.connection_kwargs
        assert (kwargs["port"], kwargs["db"]) == (6390, 3)
    finally:
        await queue.aclose()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concurrency": 0}, "worker_concurrency"),
        ({"max_retries": -1}, "job_max_retries"),
        ({"redelivery_after_s": 0}, "job_redelivery_after_s"),
        ({"prefix": ""}, "redis_prefix"),
    ],
)
def test_bad_settings_are_refused_with_their_name(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TaskiqRedisQueue("redis://127.0.0.1:6379/0", **options)


if __name__ == "__main__":
    _consume_until_killed(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
