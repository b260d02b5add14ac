"""The benchmark run: for each engine a fresh database, the data, then every measurement.

Per engine (``sqlite``, ``postgres``): seed the full product and the 10,000-product
catalogue, count SQL statements per request, measure the reads beside the floor app with
wrk, then ingest with the in-process queue and with taskiq/Redis. The server (or the
ingesting process) is pinned to the first available core and wrk to the second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib.util
import json
import logging
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.databases import DatabaseUnavailable, fresh_database
from benchmarks.dataset import CATALOGUE_SIZE, ReadDataset, seed_read_dataset
from benchmarks.http_reads import LoadSettings, measure_reads
from benchmarks.ingest import IngestResult
from benchmarks.report import EngineReport, render
from benchmarks.server_process import REPO_ROOT
from benchmarks.sql_statements import count_statements
from benchmarks.workers import running_workers
from benchmarks.wrk import WrkMissing, wrk_path

PARTS = ("statements", "reads", "ingest", "taskiq", "transfers")
ENGINES = ("sqlite", "postgres")
REDIS_URL = os.environ.get(
    "RESELLER_BENCH_REDIS", os.environ.get("RESELLER_TEST_REDIS", "redis://127.0.0.1:6379/0")
)
SLOW_CALL_S = 1.0
"""The simulated vendor latency of every provider call in the slow-vendor ingest."""
SLOW_CONCURRENCY = 64
"""RESELLER_WORKER_CONCURRENCY of the slow-vendor ingest: runs one process works at once."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Measure read throughput beside the floor app (with wrk), SQL per request and "
            "ingest. wrk must be installed: apt-get install -y wrk."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="one short round, fewer products")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="comma-separated: sqlite,postgres"
    )
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts: {','.join(PARTS)}"
    )
    parser.add_argument("--rounds", type=int, help="rounds per endpoint (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="seconds measured per endpoint and round")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up before each measurement")
    parser.add_argument("--connections", type=int, default=32, help="keep-alive connections of wrk")
    parser.add_argument("--ingest-products", type=int, help="products per ingest measurement")
    parser.add_argument("--catalogue", type=int, default=CATALOGUE_SIZE, help="products listed")
    parser.add_argument(
        "--transfer-products",
        help="comma-separated catalogue sizes exported and imported (default 100,1000; quick 20)",
    )
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    return parser


def _split(value: str, allowed: Sequence[str], option: str) -> list[str]:
    chosen = [item.strip() for item in value.split(",") if item.strip()]
    unknown = sorted(set(chosen) - set(allowed))
    if unknown:
        raise SystemExit(f"{option}: unknown {', '.join(unknown)} (choose from {allowed})")
    return chosen


def _cores() -> tuple[int, int | None]:
    """(server core, load generator core); None when only one core is available.

    Read once, before the run pins itself to the load generator's core: read after, it
    would see that one core only.
    """
    available = sorted(os.sched_getaffinity(0))
    return available[0], (available[1] if len(available) > 1 else None)


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _child_env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "RESELLER_LOG_LEVEL": "WARNING", **extra}


async def _seed(database_url: str, data_dir: Path, catalogue: int) -> ReadDataset:
    from reseller_entrypoints.embedded import ResellerCore

    async with await ResellerCore.open(database_url, str(data_dir), auto_migrate=False) as core:
        return await seed_read_dataset(core, catalogue)


def _settings(database_url: str, data_dir: Path) -> Any:
    from reseller_entrypoints.settings import load_settings

    return load_settings(data_dir=str(data_dir), database_url=database_url, auto_migrate=False)


def _run_ingest(
    database_url: str,
    data_dir: Path,
    queue: str,
    *,
    products: int,
    cpu: int | None,
    env: dict[str, str],
    workers: int = 1,
    probe_reads: bool = False,
    drain_cpus: Sequence[int | None] | None = None,
) -> IngestResult:
    command = [
        sys.executable,
        "-m",
        "benchmarks.ingest",
        "--database-url",
        database_url,
        "--data-dir",
        str(data_dir),
        "--queue",
        queue,
        "--products",
        str(products),
        "--workers",
        str(workers),
    ]
    if cpu is not None:
        command += ["--cpu", str(cpu)]
    if probe_reads:
        command.append("--probe-reads")
    if drain_cpus is not None:
        command += ["--drain-cpus", ",".join("" if c is None else str(c) for c in drain_cpus)]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {queue} ingest failed:\n{done.stderr[-4000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return IngestResult(**data)


def _taskiq_unavailable() -> str | None:
    """Why the taskiq/Redis ingest cannot run here, or None."""
    if importlib.util.find_spec("reseller_adapters.queues.taskiq_redis") is None:
        return "the adapter reseller_adapters.queues.taskiq_redis is not installed"
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:
        return f"Redis is unreachable at {REDIS_URL} ({type(error).__name__}: {error})"
    return None


def _measure_engine(
    engine: str,
    parts: Sequence[str],
    args: argparse.Namespace,
    workdir: Path,
    cores: tuple[int, int | None],
) -> EngineReport:
    """Every measurement of one engine; ``cores`` is (server core, client core), taken
    before this process pinned itself to the client core."""
    report = EngineReport(engine=engine)
    server_cpu, client_cpu = cores
    data_dir = workdir / engine
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        database = fresh_database(engine, data_dir)
        url = database.__enter__()
    except DatabaseUnavailable as error:
        for part in parts:
            report.unavailable[part] = str(error)
        return report
    try:
        _log(f"{engine}: seeding the full product and {args.catalogue} catalogue products")
        dataset = asyncio.run(_seed(url, data_dir, args.catalogue))
        if "statements" in parts:
            _log(f"{engine}: counting SQL statements per request")
            report.statements = asyncio.run(
                count_statements(
                    _settings(url, data_dir),
                    dataset.product_token,
                    dataset.product_id,
                    dataset.catalogue_token,
                )
            )
        if "reads" in parts:
            _log(f"{engine}: measuring reads ({args.rounds} round(s))")
            report.reads = measure_reads(
                url,
                data_dir,
                dataset,
                LoadSettings(
                    connections=args.connections,
                    warmup_s=args.warmup,
                    duration_s=args.duration,
                    rounds=args.rounds,
                ),
                server_cpu=server_cpu,
                client_cpu=client_cpu,
            )
        if "ingest" in parts:
            _log(f"{engine}: ingesting {args.ingest_products} products (in-process queue)")
            report.ingest.append(
                _run_ingest(
                    url,
                    data_dir,
                    "inprocess",
                    products=args.ingest_products,
                    cpu=server_cpu,
                    env=_child_env(),
                )
            )
            _log(
                f"{engine}: ingesting {args.ingest_products} products, {SLOW_CALL_S:g} s per "
                f"provider call, {SLOW_CONCURRENCY} runs at a time (in-process queue)"
            )
            report.ingest.append(
                _run_ingest(
                    url,
                    data_dir,
                    "inprocess",
                    products=args.ingest_products,
                    cpu=server_cpu,
                    env=_child_env(
                        RESELLER_AI_LATENCY_S=f"{SLOW_CALL_S:g}",
                        RESELLER_WORKER_CONCURRENCY=str(SLOW_CONCURRENCY),
                    ),
                    probe_reads=True,
                )
            )
        if "taskiq" in parts:
            reason = _taskiq_unavailable()
            if reason is not None:
                report.unavailable["taskiq"] = reason
            else:
                env = _child_env(
                    RESELLER_QUEUE="taskiq",
                    RESELLER_REDIS_URL=REDIS_URL,
                    RESELLER_REDIS_PREFIX=f"reseller-bench-{secrets.token_hex(4)}",
                    RESELLER_DATA_DIR=str(data_dir),
                    RESELLER_DATABASE_URL=url,
                    RESELLER_AUTO_MIGRATE="false",
                )
                # (workers' cores, drain): end to end with one worker, then two (PostgreSQL),
                # then the same two as backlog drains.
                plans: list[tuple[list[int | None], bool]] = [([server_cpu], False)]
                if engine == "postgres":
                    two = [server_cpu, client_cpu]
                    plans += [(two, False), ([server_cpu], True), (two, True)]
                try:
                    for cpus, drain in plans:
                        kind = "draining" if drain else "ingesting"
                        _log(
                            f"{engine}: {kind} {args.ingest_products} products "
                            f"({len(cpus)} worker{'s' if len(cpus) > 1 else ''}, taskiq)"
                        )
                        # A drain gets a stream of its own: nothing left from runs before.
                        stream = {"RESELLER_REDIS_PREFIX": f"reseller-bench-{secrets.token_hex(4)}"}
                        measure = functools.partial(
                            _run_ingest,
                            url,
                            data_dir,
                            "taskiq",
                            products=args.ingest_products,
                            cpu=client_cpu,
                        )
                        if drain:
                            report.ingest.append(measure(env={**env, **stream}, drain_cpus=cpus))
                            continue
                        with running_workers(data_dir, env, cpus):
                            report.ingest.append(measure(env=env, workers=len(cpus)))
                except RuntimeError as error:
                    report.unavailable["taskiq"] = str(error).splitlines()[0]
    finally:
        database.__exit__(None, None, None)
    return report


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _defaults(args: argparse.Namespace) -> None:
    quick = args.quick
    args.rounds = args.rounds or (1 if quick else 3)
    args.duration = args.duration or (2.0 if quick else 5.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if quick else 2.0)
    args.ingest_products = args.ingest_products or (40 if quick else 200)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _defaults(args)
    # The run prints figures; the app's own INFO lines (migrations, outbox mail) are noise.
    logging.disable(logging.INFO)
    engines = _split(args.engines, ENGINES, "--engines")
    parts = _split(args.only, PARTS, "--only")
    if "reads" in parts:
        try:
            wrk_path()
        except WrkMissing as error:
            print(f"python -m benchmarks: {error}", file=sys.stderr)
            return 2
    server_cpu, client_cpu = _cores()
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    load_before = os.getloadavg()
    started = time.monotonic()
    reports: list[EngineReport] = []
    measured_parts = [part for part in parts if part != "transfers"]
    with tempfile.TemporaryDirectory(prefix="reseller-bench-") as workdir:
        for engine in engines:
            if measured_parts:
                reports.append(
                    _measure_engine(
                        engine, measured_parts, args, Path(workdir), (server_cpu, client_cpu)
                    )
                )
    transfers_text = ""
    if "transfers" in parts:
        from benchmarks import transfers

        sizes = [int(s) for s in (args.transfer_products or "").split(",") if s.strip()]
        transfers_text = transfers.render(
            transfers.measure(engines, sizes or ([20] if args.quick else [100, 1000]))
        )
    header = [
        f"- machine: {os.cpu_count()} cores ({_cpu_model()}), Python {platform.python_version()}",
        f"- servers (ours and the floor app) pinned to core {server_cpu}; wrk on core "
        + (f"{client_cpu}" if client_cpu is not None else f"{server_cpu} too (one core only)"),
        f"- wrk, 1 thread, {args.connections} keep-alive connections; {args.rounds} round(s) of "
        f"{args.warmup:g} s warm-up + {args.duration:g} s per endpoint",
        f"- catalogue: {args.catalogue} products; ingest: {args.ingest_products} products, "
        "2 photos each",
        f"- load average before/after: {load_before[0]:.2f} / {os.getloadavg()[0]:.2f} "
        f"(other work on the machine skews every figure); run took "
        f"{time.monotonic() - started:.0f} s",
    ]
    text = render(reports, header)
    print(text)
    if transfers_text:
        print()
        print(transfers_text)
    if args.json is not None:
        args.json.write_text(json.dumps(_as_json(reports, header), indent=2))
    return 0


def _as_json(reports: Sequence[EngineReport], header: Sequence[str]) -> dict[str, Any]:
    def reads(report: EngineReport) -> dict[str, Any] | None:
        if report.reads is None:
            return None
        return {
            name: {
                "rps": figure.rps,
                "p50_ms": figure.p50_ms,
                "p99_ms": figure.p99_ms,
                "requests": figure.requests,
                "errors": figure.errors,
                "rounds_rps": [result.rps for result in figure.rounds],
                "wrk_cpu": figure.client_share,
            }
            for name, figure in report.reads.endpoints.items()
        }

    return {
        "conditions": list(header),
        "engines": [
            {
                "engine": report.engine,
                "reads": reads(report),
                "statements": [
                    {k: v for k, v in asdict(count).items() if k != "texts"}
                    for count in report.statements
                ],
                "ingest": [
                    {**asdict(result), "per_minute": result.per_minute} for result in report.ingest
                ],
                "unavailable": report.unavailable,
            }
            for report in reports
        ],
    }
