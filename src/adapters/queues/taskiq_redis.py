"""The shared task queue: taskiq over a Redis stream, fed by servers, drained by workers.

How a job travels (delivery is at-least-once; every job is idempotent):

- ``enqueue`` appends one taskiq message to the stream ``{prefix}:jobs`` (``XADD``). Servers
  only do this; ``reseller worker`` processes consume.
- Workers read through one consumer group, one message per free slot (``XREADGROUP COUNT
  1``), so a busy worker never sits on jobs another worker could run.
- A message is acknowledged (``XACK`` + ``XDEL``) only once its handler has finished. A job
  that raised is enqueued again after a short backoff, up to ``max_retries`` times, then
  dropped with a log line naming the job and its argument names, never their values.
- A live worker renews the messages it is running (``XCLAIM ... JUSTID``) every third of
  ``redelivery_after_s``; a killed or frozen worker stops renewing, and once its messages
  have been idle that long any worker takes them over (``XAUTOCLAIM``). A message whose
  workers keep dying (``max_deliveries`` deliveries) is dropped rather than crashing
  workers forever.

Processing runs survive all of this because their state lives in the database: the
sweeper re-enqueues a run left unfinished whatever happened to its message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, Self

try:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError
    from taskiq import AckableMessage, Context, TaskiqDepends, TaskiqMessage
    from taskiq.acks import AcknowledgeType
    from taskiq.exceptions import NoResultError
    from taskiq.receiver import Receiver
    from taskiq_redis import RedisStreamBroker
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "the taskiq queue needs the Redis extra: pip install 'reseller-core[redis]'"
    ) from error

from reseller_core.ports.queue import Job

log = logging.getLogger(__name__)

JobHandler = Callable[[Mapping[str, str]], Awaitable[None]]
"""An async function of the job's arguments (ids as strings)."""

DISPATCH_TASK = "reseller.job"
"""The one taskiq task: its kwargs name the job, carry its args and count its attempts."""

CONSUMER_GROUP = "workers"

_RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 5.0)


class QueueUnavailable(ConnectionError):
    """Redis could not be reached (to enqueue a job, or to answer a readiness check)."""


def _job_label(data: bytes) -> str:
    """The job name inside a raw message, for log lines about messages that never ran."""
    try:
        kwargs = TaskiqMessage.model_validate_json(data).kwargs
    except ValueError:
        return "<unreadable message>"
    return repr(kwargs.get("job"))


def _task_id(data: bytes) -> str:
    """The taskiq task id inside a raw message ("" when unreadable), to find it again."""
    try:
        return TaskiqMessage.model_validate_json(data).task_id
    except ValueError:
        return ""


class _RenewingStreamBroker(RedisStreamBroker):
    """``RedisStreamBroker`` that reads one message at a time and takes over idle ones.

    taskiq-redis 1.2.4 reads up to 100 messages per call and reclaims idle messages only
    after a read that returned new ones; here every pass first takes over one message idle
    for ``idle_timeout`` ms, then waits for one new message. Acknowledging also deletes
    the entry, so the stream holds only unfinished jobs.
    """

    def __init__(self, url: str, *, stream: str, max_deliveries: int, **options: Any) -> None:
        super().__init__(
            url,
            queue_name=stream,
            consumer_group_name=CONSUMER_GROUP,
            consumer_id="0",  # a group created after jobs were enqueued still gets them
            xread_count=1,
            **options,
        )
        self.max_deliveries = max_deliveries
        self.in_flight: dict[str, str] = {}
        """Stream id → taskiq task id of each message handed out and not settled yet."""
        self._claim_cursor = "0-0"
        self.stopping = False
        """Set before the receiver stops: ``listen`` ends at its next pass.

        Cancelling the read is not enough on Python 3.11, whose ``asyncio.wait_for`` (used
        inside redis-py) can swallow a cancellation that arrives as the inner call ends.
        """

    def _acknowledger(self, message_id: str) -> Callable[[], Awaitable[None]]:
        async def acknowledge() -> None:
            try:
                async with (
                    Redis(connection_pool=self.connection_pool) as redis,
                    redis.pipeline(transaction=True) as pipe,
                ):
                    pipe.xack(self.queue_name, self.consumer_group_name, message_id)
                    pipe.xdel(self.queue_name, message_id)
                    await pipe.execute()
            finally:
                # Acknowledged, or left for another worker to take over once idle.
                self.in_flight.pop(message_id, None)

        return acknowledge

    def abandon(self, task_id: str) -> None:
        """Stop renewing a message left unacknowledged, so another worker takes it over."""
        for message_id, held in list(self.in_flight.items()):
            if held == task_id:
                del self.in_flight[message_id]

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """Yield messages until stopped: orphans first, then new ones; rides out outages."""
        failures = 0
        async with Redis(connection_pool=self.connection_pool) as redis:
            while not self.stopping:
                try:
                    entry = await self._take_over_idle(redis) or await self._read_new(redis)
                except (RedisError, OSError) as error:
                    delay = _RECONNECT_DELAYS_S[min(failures, len(_RECONNECT_DELAYS_S) - 1)]
                    failures += 1
                    log.warning(
                        "cannot read the job stream (%s); retrying in %.1f s",
                        type(error).__name__,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                failures = 0
                if entry is None:
                    continue
                message_id, data = entry
                self.in_flight[message_id] = _task_id(data)
                yield AckableMessage(data=data, ack=self._acknowledger(message_id))

    async def _read_new(self, redis: Redis) -> tuple[str, bytes] | None:
        # ``[[stream, [(id, fields)]]]``, or None when the block time passed without a job.
        fetched: Any = await redis.xreadgroup(
            self.consumer_group_name,
            self.consumer_name,
            {self.queue_name: ">"},
            count=1,
            block=self.block,
        )
        for _stream, entries in fetched or ():
            for message_id, fields in entries:
                return await self._usable(redis, message_id, fields)
        return None

    async def _take_over_idle(self, redis: Redis) -> tuple[str, bytes] | None:
        cursor, claimed, *_deleted = await redis.xautoclaim(
            self.queue_name,
            self.consumer_group_name,
            self.consumer_name,
            min_idle_time=self.idle_timeout,
            start_id=self._claim_cursor,
            count=1,
        )
        self._claim_cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        for message_id, fields in claimed:
            key = message_id.decode() if isinstance(message_id, bytes) else str(message_id)
            if key in self.in_flight:
                # Running here already: a renewal came late (a busy event loop), which made
                # the message look orphaned. Claiming it reset its idle time; running it a
                # second time beside itself would repeat the job.
                continue
            entry = await self._usable(redis, message_id, fields)
            if entry is None:
                continue
            pending = await redis.xpending_range(
                self.queue_name,
                self.consumer_group_name,
                min=message_id,
                max=message_id,
                count=1,
            )
            deliveries = int(pending[0]["times_delivered"]) if pending else 1
            if deliveries > self.max_deliveries:
                log.error(
                    "job %s was taken over %d times from workers that died running it; dropped",
                    _job_label(entry[1]),
                    deliveries - 1,
                )
                await self._acknowledger(entry[0])()
                continue
            log.info("job %s taken over from a worker that stopped", _job_label(entry[1]))
            return entry
        return None

    async def _usable(
        self, redis: Redis, message_id: bytes | str, fields: Mapping[bytes, bytes] | None
    ) -> tuple[str, bytes] | None:
        """``(id, data)``, or None after dropping an entry that is not a taskiq message."""
        key = message_id.decode() if isinstance(message_id, bytes) else str(message_id)
        data = (fields or {}).get(b"data")
        if data is None:
            log.warning("stream entry %s carries no job; dropped", key)
            await self._acknowledger(key)()
            return None
        return key, data

    async def renew(self, message_ids: list[str]) -> None:
        """Reset the idle time of messages this consumer runs, so nobody takes them over."""
        ids: list[Any] = list(message_ids)  # redis-py's stub wants a list of a union
        async with Redis(connection_pool=self.connection_pool) as redis:
            await redis.xclaim(
                self.queue_name,
                self.consumer_group_name,
                self.consumer_name,
                min_idle_time=0,
                message_ids=ids,
                justid=True,
            )

    async def forget_consumer(self) -> None:
        """Remove this consumer from the group once it holds no message (clean stop)."""
        async with Redis(connection_pool=self.connection_pool) as redis:
            consumers = await redis.xinfo_consumers(self.queue_name, self.consumer_group_name)
            for consumer in consumers:
                name = consumer["name"]
                name = name.decode() if isinstance(name, bytes) else str(name)
                if name == self.consumer_name and int(consumer["pending"]) == 0:
                    await redis.xgroup_delconsumer(
                        self.queue_name, self.consumer_group_name, self.consumer_name
                    )


class TaskiqRedisQueue:
    """``TaskQueue`` over taskiq and a Redis stream, shared by every process of a deployment.

    Any process may ``enqueue``; ``start()`` makes this process a consumer running up to
    ``concurrency`` jobs at once, ``stop()`` ends consuming (in-flight jobs get
    ``shutdown_grace_s`` to finish; those interrupted stay unacknowledged and are delivered
    again), ``aclose()`` releases the connections. ``handlers`` is read at dispatch time,
    so a composition root may fill it after building the services that need this queue.
    """

    def __init__(
        self,
        redis_url: str,
        handlers: Mapping[str, JobHandler] | None = None,
        *,
        prefix: str = "reseller",
        concurrency: int = 2,
        max_retries: int = 3,
        retry_backoff_s: float = 0.5,
        redelivery_after_s: float = 60.0,
        max_deliveries: int = 5,
        shutdown_grace_s: float = 10.0,
        timeout_s: float = 2.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("worker_concurrency must be at least 1")
        if max_retries < 0:
            raise ValueError("job_max_retries must not be negative")
        if redelivery_after_s <= 0:
            raise ValueError("job_redelivery_after_s must be positive")
        if max_deliveries < 2:
            raise ValueError("max_deliveries must allow at least one redelivery")
        if not prefix:
            raise ValueError("redis_prefix must not be empty")
        self._handlers: Mapping[str, JobHandler] = handlers if handlers is not None else {}
        self._concurrency = concurrency
        self._max_retries = max_retries
        self._retry_backoff_s = max(0.0, retry_backoff_s)
        self._renew_interval_s = redelivery_after_s / 3
        self._shutdown_grace_s = max(0.0, shutdown_grace_s)
        self._timeout_s = timeout_s if timeout_s > 0 else 2.0
        self.stream = f"{prefix}:jobs"
        self.sweep_lease_key = f"{prefix}:sweeper-lease"
        block_ms = max(50, min(2000, int(redelivery_after_s * 500)))
        self._broker = _RenewingStreamBroker(
            redis_url,
            stream=self.stream,
            max_deliveries=max_deliveries,
            idle_timeout=max(1, int(redelivery_after_s * 1000)),
            xread_block=block_ms,
            socket_connect_timeout=self._timeout_s,
            # A blocking read waits up to ``block_ms`` for a job before Redis answers.
            socket_timeout=self._timeout_s + block_ms / 1000,
            health_check_interval=30,
        )

        async def run_job(
            job: Any = None,
            args: Any = None,
            attempt: Any = 1,
            context: Context = TaskiqDepends(),  # noqa: B008 - taskiq injection marker
        ) -> None:
            await self._dispatch(job, args, attempt, context)

        self._broker.register_task(run_job, task_name=DISPATCH_TASK)
        self._finish: asyncio.Event | None = None
        self._listener: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[Any]] = set()

    @classmethod
    def from_settings(cls, settings: Any, context: Any) -> Self:
        """Build from ``RESELLER_*`` settings; jobs dispatch through ``context.job_handlers``."""
        return cls(
            settings.redis_url,
            context.job_handlers,
            prefix=settings.redis_prefix,
            concurrency=settings.worker_concurrency,
            max_retries=settings.job_max_retries,
            redelivery_after_s=settings.job_redelivery_after_s,
            shutdown_grace_s=settings.worker_shutdown_grace_s,
            timeout_s=settings.redis_timeout_s,
        )

    @property
    def running(self) -> bool:
        """Whether this process consumes jobs."""
        return self._listener is not None

    @property
    def consumer_name(self) -> str:
        """This process's name in the consumer group (host, pid and a random suffix)."""
        return self._broker.consumer_name

    # ----------------------------------------------------------------- producing

    async def enqueue(self, job: Job) -> None:
        """Append ``job`` to the stream; ``QueueUnavailable`` when Redis cannot take it."""
        await self._send(job.name, dict(job.args), attempt=1)

    async def _send(self, name: str, args: dict[str, str], *, attempt: int) -> None:
        message = TaskiqMessage(
            task_id=uuid.uuid4().hex,
            task_name=DISPATCH_TASK,
            labels={},
            args=[],
            kwargs={"job": name, "args": args, "attempt": attempt},
        )
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._broker.kick(self._broker.formatter.dumps(message))
        except (RedisError, OSError, TimeoutError) as error:
            raise QueueUnavailable(
                f"could not enqueue job {name!r}: Redis is unreachable ({type(error).__name__})"
            ) from error

    # ----------------------------------------------------------------- consuming

    async def start(self) -> None:
        """Consume jobs in this process; a no-op when already consuming."""
        if self._listener is not None:
            return
        broker = self._broker
        broker.consumer_name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        broker.is_worker_process = True
        broker.stopping = False
        await broker.startup()  # creates the stream and the consumer group when missing
        receiver = Receiver(
            broker,
            validate_params=False,  # the dispatcher checks its inputs itself
            max_async_tasks=self._concurrency,
            run_startup=False,
            ack_type=AcknowledgeType.MANUAL,
        )
        self._finish = asyncio.Event()
        self._listener = asyncio.create_task(
            receiver.listen(self._finish), name=f"taskiq-listener-{broker.consumer_name}"
        )
        self._renewer = asyncio.create_task(self._renew_forever(), name="taskiq-renewer")
        log.info(
            "consuming %s as %s (concurrency %d)",
            self.stream,
            broker.consumer_name,
            self._concurrency,
        )

    async def stop(self) -> None:
        """Stop taking jobs; give running ones the grace period, then interrupt them.

        Interrupted jobs are not acknowledged: once idle for ``redelivery_after_s`` another
        worker takes them over.
        """
        listener, self._listener = self._listener, None
        if listener is None:
            return
        assert self._finish is not None
        self._broker.stopping = True
        self._finish.set()
        done, _ = await asyncio.wait([listener], timeout=self._shutdown_grace_s)
        if not done:
            interrupted = list(self._running)
            log.warning(
                "%d job(s) still running after %g s; interrupting them (they will be "
                "delivered again)",
                len(interrupted),
                self._shutdown_grace_s,
            )
            for task in interrupted:
                task.cancel()
            done, _ = await asyncio.wait([listener], timeout=5)
            if not done:
                listener.cancel()
                done, _ = await asyncio.wait([listener], timeout=5)
        if done:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
        else:
            log.error("the job consumer did not stop; abandoning it")
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None
        self._broker.in_flight.clear()
        with contextlib.suppress(RedisError, OSError):
            await self._broker.forget_consumer()
        log.info("stopped consuming %s", self.stream)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._renew_interval_s)
            message_ids = sorted(self._broker.in_flight)
            if not message_ids:
                continue
            try:
                await self._broker.renew(message_ids)
            except (RedisError, OSError) as error:
                log.warning("could not renew running jobs (%s)", type(error).__name__)

    async def _dispatch(self, job: Any, args: Any, attempt: Any, context: Context) -> None:
        """The taskiq task: run the named handler, retry on failure, then acknowledge."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            if await self._run(job, args, attempt):
                await self._acknowledge(context, job)
            else:
                self._broker.abandon(context.message.task_id)
        except asyncio.CancelledError:
            log.warning("job %r interrupted; it will be delivered again", job)
            # Tells the receiver "no result" without acknowledging (the ack type is manual).
            raise NoResultError from None
        finally:
            if task is not None:
                self._running.discard(task)

    async def _run(self, name: Any, args: Any, attempt: Any) -> bool:
        """Run one delivery; True when its message may be acknowledged."""
        if (
            not isinstance(name, str)
            or not isinstance(args, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in args.items())
            or not isinstance(attempt, int)
        ):
            log.error(
                "malformed job message (job %r); dropped", name if isinstance(name, str) else "?"
            )
            return True
        handler = self._handlers.get(name)
        if handler is None:
            log.error("no handler for job %r; job dropped", name)
            return True
        try:
            await handler(dict(args))
        except Exception as error:
            return await self._after_failure(name, args, attempt, error)
        return True

    async def _after_failure(
        self, name: str, args: dict[str, str], attempt: int, error: Exception
    ) -> bool:
        """Enqueue the next attempt after a backoff, or drop the job when none is left."""
        argument_names = ", ".join(sorted(args))
        if attempt > self._max_retries:
            log.error(
                "job %r failed %d time(s) and is dropped (args: %s)",
                name,
                attempt,
                argument_names,
                exc_info=error,
            )
            return True
        delay = min(self._retry_backoff_s * 2 ** (attempt - 1), 10.0)
        log.warning(
            "job %r failed (%s), attempt %d of %d; retrying in %.1f s (args: %s)",
            name,
            type(error).__name__,
            attempt,
            self._max_retries + 1,
            delay,
            argument_names,
        )
        await asyncio.sleep(delay)
        try:
            await self._send(name, args, attempt=attempt + 1)
        except QueueUnavailable:
            log.warning("could not enqueue the retry of job %r; it will be delivered again", name)
            return False
        return True

    async def _acknowledge(self, context: Context, name: Any) -> None:
        try:
            await context.ack()
        except (RedisError, OSError) as error:
            log.warning(
                "could not acknowledge job %r (%s); it will be delivered again",
                name,
                type(error).__name__,
            )

    # ----------------------------------------------------------------- operations

    async def check(self) -> None:
        """Readiness: Redis answers PING, and a started consumer is still consuming."""
        try:
            async with (
                asyncio.timeout(self._timeout_s),
                Redis(connection_pool=self._broker.connection_pool) as redis,
            ):
                await redis.ping()
        except (RedisError, OSError, TimeoutError) as error:
            raise QueueUnavailable(f"Redis is unreachable ({type(error).__name__})") from error
        if self._listener is not None and self._listener.done():
            raise RuntimeError("the job consumer has stopped")

    async def sweep_lease(self, ttl_s: float) -> bool:
        """Take the deployment-wide sweeper turn for ``ttl_s``; False when another worker has it.

        Every worker runs the periodic sweeper; the lease makes one pass per interval do
        the work instead of one pass per worker.
        """
        async with Redis(connection_pool=self._broker.connection_pool) as redis:
            taken = await redis.set(
                self.sweep_lease_key,
                self._broker.consumer_name,
                nx=True,
                px=max(1, int(ttl_s * 1000)),
            )
        return bool(taken)

    async def aclose(self) -> None:
        """Stop consuming (if started) and close the Redis connections."""
        await self.stop()
        await self._broker.shutdown()
