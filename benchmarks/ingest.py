"""Ingest throughput: products per minute from ``finalize_uploads`` to a completed run.

``python -m benchmarks.ingest --database-url URL --data-dir DIR --queue inprocess`` runs one
measurement in this process (pinned with ``--cpu``) and prints its result as one JSON line.

Every product has 2 photos (640x480 JPEG) uploaded beforehand; the seller has the default 3
marketplaces and the offline AI provider and image editor do the work. The clock starts
before the first ``finalize_uploads`` and stops when the last run is ``completed``:

- ``inprocess``: the in-process queue's workers run inside this process, as in ``reseller
  serve`` (on the same event loop: uvloop where installed); finalize calls and processing
  share its one core.
- ``taskiq``: this process only finalizes (enqueueing to Redis); one ``reseller worker``
  process, on its own core, runs the pipeline. Completion is read from the database.
- ``taskiq`` with ``--drain-cpus``: a backlog drain. Every product is finalized first with
  no worker running; then one worker per listed core is launched and the clock runs from
  their launch to the last completed run, so the figure is the workers' alone.

Finalizes go ``FINALIZE_CONCURRENCY`` at a time, the sellers taking turns. A few products
go through first, untimed, to warm imports and caches (not in a drain: each worker's first
jobs are its warm-up, alike for one worker and two).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.dataset import photo, seller, upload_product
from benchmarks.workers import running_workers
from reseller_entrypoints.gc_tuning import freeze_startup_objects

PRODUCTS_PER_SELLER = 25
"""The daily provider ceilings are per seller: 25 products stay well inside them."""
WARMUP_PRODUCTS = 3
POLL_S = 0.1
FINALIZE_CONCURRENCY = 8
"""Finalize requests in flight at once. Uploads are finalized by many sellers' phones at
the same time; one finalize after another measured the client (about 15 per second on
PostgreSQL) instead of the workers."""
PROBE_INTERVAL_S = 0.05
"""Pause between two probe reads of ``GET /products/:id`` while the ingest runs."""


@dataclass(frozen=True, slots=True)
class IngestResult:
    queue: str
    products: int
    completed: int
    failed: int
    elapsed_s: float
    provider_latency_s: float = 0.0
    """Simulated latency of every AI provider call (``RESELLER_AI_LATENCY_S``)."""
    concurrency: int = 2
    """Runs one process works on at once (``RESELLER_WORKER_CONCURRENCY``)."""
    workers: int = 1
    """Worker processes (taskiq) or 1 (the in-process queue)."""
    get_p99_ms: float | None = None
    """p99 of ``GET /products/:id`` measured while the ingest ran, when measured."""
    finalized_s: float | None = None
    """Seconds from the start until the last ``finalize_uploads`` returned: when it is close
    to ``elapsed_s``, the finalizing clients, not the workers, set the pace. For a drain,
    the time the backlog took to enqueue (before the clock)."""
    drain: bool = False
    """A backlog drain: every product finalized first, then the workers started and the
    clock run from their launch to the last completed run (the workers alone)."""

    @property
    def per_minute(self) -> float:
        return self.completed / self.elapsed_s * 60 if self.elapsed_s > 0 else 0.0


async def _prepared(core: Any, count: int, label: str) -> list[tuple[Any, str, list[str]]]:
    """``count`` products with 2 photos uploaded each, spread over enough sellers."""
    photos = [photo(n) for n in range(8)]
    prepared: list[tuple[Any, str, list[str]]] = []
    sellers = math.ceil(count / PRODUCTS_PER_SELLER)
    for index in range(sellers):
        user, _ = await seller(core, f"{label}-{index}@bench.example")
        for n in range(min(PRODUCTS_PER_SELLER, count - len(prepared))):
            fields = {"title": f"Vintage denim jacket {label} {index}-{n}", "price": "35.00"}
            pair = [photos[(n * 2) % len(photos)], photos[(n * 2 + 1) % len(photos)]]
            product_id, image_ids = await upload_product(core, user, fields, pair)
            prepared.append((user, product_id, image_ids))
    return prepared


async def _run_counts(core: Any, product_ids: Sequence[str]) -> tuple[int, int, int]:
    """(completed, failed, unfinished) latest runs among ``product_ids``."""
    from reseller_adapters.persistence.sqlalchemy.tables import processing_runs, products

    statement = (
        sa.select(processing_runs.c.status, sa.func.count())
        .select_from(
            products.join(processing_runs, processing_runs.c.id == products.c.latest_run_id)
        )
        .where(products.c.id.in_(list(product_ids)))
        .group_by(processing_runs.c.status)
    )
    async with core.container.database.engine.connect() as connection:
        counts = {status: int(n) for status, n in await connection.execute(statement)}
    completed = counts.pop("completed", 0)
    failed = counts.pop("failed", 0)
    return completed, failed, sum(counts.values())


async def _finalize_all(core: Any, prepared: Sequence[tuple[Any, str, list[str]]]) -> None:
    """Finalize every product, ``FINALIZE_CONCURRENCY`` at a time, the sellers in turn.

    A fleet's uploads come from many sellers at once: taking each seller's products in a
    block made every finalize and run wait on the one seller's lock (the usage limits are
    checked under it), which measured that seller's queue, not the workers.
    """
    by_seller: dict[str, list[tuple[Any, str, list[str]]]] = {}
    for entry in prepared:
        by_seller.setdefault(entry[0].id, []).append(entry)
    turns = itertools.zip_longest(*by_seller.values())
    pending = iter([entry for turn in turns for entry in turn if entry is not None])

    async def client() -> None:
        for user, product_id, image_ids in pending:
            await core.finalize_uploads(user, product_id, image_ids)

    await asyncio.gather(*(client() for _ in range(FINALIZE_CONCURRENCY)))


async def _settle(core: Any, product_ids: Sequence[str], queue: str, timeout_s: float) -> None:
    if queue == "inprocess":
        await asyncio.wait_for(core.container.drain(), timeout_s)
        return
    deadline = time.monotonic() + timeout_s
    while (await _run_counts(core, product_ids))[2] > 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"runs still unfinished after {timeout_s:.0f} s")
        await asyncio.sleep(POLL_S)


class ReadProbe:
    """``GET /products/:id`` through the HTTP app, in this process and on its event loop,
    every ``PROBE_INTERVAL_S`` while the ingest runs: what a seller polling a product sees
    while the worker is busy. The request goes through the whole ASGI app (middleware,
    authentication, the read model) without a socket."""

    def __init__(self, app: Any, path: str, token: str) -> None:
        self._app = app
        self._scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 9),
            "server": ("127.0.0.1", 80),
        }
        self.latencies_ms: list[float] = []
        self.failures = 0

    async def _get(self) -> None:
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))

        started = time.perf_counter()
        await self._app({**self._scope, "state": {}}, receive, send)
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if statuses != [200]:
            self.failures += 1

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._get()
            await asyncio.sleep(PROBE_INTERVAL_S)

    def p99(self) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * 0.99) - 1)]


async def _read_probe(core: Any, timeout_s: float) -> ReadProbe:
    """A processed product of a seller of its own, and the probe that reads it."""
    from reseller_entrypoints.http import create_app

    user, token = await seller(core, f"probe-{os.getpid()}@bench.example")
    product_id, image_ids = await upload_product(
        core, user, {"title": "Probe boots", "price": "20.00"}, [photo(1), photo(2)]
    )
    await core.finalize_uploads(user, product_id, image_ids)
    await core.wait_until_settled(user, product_id, timeout=timeout_s)
    app = create_app(container=core.container)
    started: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await started.put({"type": "lifespan.startup"})
    answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    asyncio.get_running_loop().create_task(app(lifespan, started.get, answers.put))
    answer = await answers.get()
    if answer["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"the HTTP app did not start: {answer}")
    return ReadProbe(app, f"/api/v1/products/{product_id}", token)


async def measure_ingest(
    database_url: str,
    data_dir: str,
    queue: str,
    count: int,
    timeout_s: float,
    *,
    probe_reads: bool = False,
    drain_cpus: Sequence[int | None] | None = None,
) -> IngestResult:
    """One measurement; with ``drain_cpus`` a backlog drain by one worker per entry."""
    from reseller_entrypoints.embedded import ResellerCore

    async with await ResellerCore.open(
        database_url,
        data_dir,
        run_worker=queue == "inprocess",
        queue=queue,
        auto_migrate=False,
        require_email_confirmation=True,
    ) as core:
        if drain_cpus is not None:
            return await _drain(core, count, timeout_s, Path(data_dir), drain_cpus)
        warmup = await _prepared(core, WARMUP_PRODUCTS, f"warmup-{os.getpid()}")
        await _finalize_all(core, warmup)
        await _settle(core, [p for _, p, _ in warmup], queue, timeout_s)
        probe = await _read_probe(core, timeout_s) if probe_reads else None
        if queue == "inprocess":
            # As ``reseller serve`` does once started (its in-process workers run there).
            freeze_startup_objects()
        prepared = await _prepared(core, count, f"ingest-{os.getpid()}")
        product_ids = [product_id for _, product_id, _ in prepared]
        stop = asyncio.Event()
        reading = asyncio.create_task(probe.run(stop)) if probe else None
        started = time.perf_counter()
        await _finalize_all(core, prepared)
        finalized = time.perf_counter() - started
        await _settle(core, product_ids, queue, timeout_s)
        elapsed = time.perf_counter() - started
        stop.set()
        if reading is not None:
            await reading
        completed, failed, _ = await _run_counts(core, product_ids)
    if probe is not None and probe.failures:
        raise RuntimeError(f"{probe.failures} probe reads were not answered 200")
    return IngestResult(
        queue=queue,
        products=count,
        completed=completed,
        failed=failed,
        elapsed_s=elapsed,
        get_p99_ms=probe.p99() if probe else None,
        finalized_s=finalized,
    )


async def _drain(
    core: Any, count: int, timeout_s: float, data_dir: Path, cpus: Sequence[int | None]
) -> IngestResult:
    """Enqueue ``count`` finalized products with no worker running, then time the workers.

    This is how worker throughput is measured apart from the clients: on a two-core
    machine an end-to-end run puts the finalizing client on the second worker's core, and
    its finalizes wait on the same sellers' locks as the runs.
    """
    prepared = await _prepared(core, count, f"drain-{os.getpid()}")
    product_ids = [product_id for _, product_id, _ in prepared]
    started = time.perf_counter()
    await _finalize_all(core, prepared)
    finalized = time.perf_counter() - started
    started = time.perf_counter()
    with running_workers(data_dir, dict(os.environ), cpus):
        await _settle(core, product_ids, "taskiq", timeout_s)
        elapsed = time.perf_counter() - started
    completed, failed, _ = await _run_counts(core, product_ids)
    return IngestResult(
        queue="taskiq",
        products=count,
        completed=completed,
        failed=failed,
        elapsed_s=elapsed,
        workers=len(cpus),
        finalized_s=finalized,
        drain=True,
    )


def _served_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop ``reseller serve`` runs on (uvloop where installed), whose in-process
    workers this measurement stands for; None: asyncio's own."""
    from reseller_entrypoints.http.server_options import FAST_LOOP, server_protocols

    if server_protocols().loop != FAST_LOOP:
        return None
    import uvloop

    return uvloop.new_event_loop


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--queue", choices=("inprocess", "taskiq"), default="inprocess")
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--cpu", type=int, default=None, help="pin this process to one core")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (recorded)")
    parser.add_argument(
        "--probe-reads",
        action="store_true",
        help="read a product through the HTTP app every 50 ms during the ingest; report p99",
    )
    parser.add_argument(
        "--drain-cpus",
        help="taskiq: enqueue every product first, then time one worker per listed core",
    )
    args = parser.parse_args(argv)
    drain_cpus = None
    if args.drain_cpus:
        drain_cpus = [int(cpu) if cpu else None for cpu in args.drain_cpus.split(",")]
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    with asyncio.Runner(loop_factory=_served_loop_factory()) as runner:
        result = runner.run(
            measure_ingest(
                args.database_url,
                args.data_dir,
                args.queue,
                args.products,
                args.timeout,
                probe_reads=args.probe_reads,
                drain_cpus=drain_cpus,
            )
        )
    result = replace(
        result,
        provider_latency_s=float(os.environ.get("RESELLER_AI_LATENCY_S", "0") or 0),
        concurrency=int(os.environ.get("RESELLER_WORKER_CONCURRENCY", "2") or 2),
    )
    if not result.drain:  # a drain counted the workers it launched
        result = replace(result, workers=args.workers)
    json.dump(asdict(result), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
