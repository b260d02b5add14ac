"""The figures as Markdown tables (the same tables ``docs/performance.md`` keeps), with targets.

Targets apply to SQLite and PostgreSQL alike, with the server pinned to one core and wrk on
the other. Ratios are to the floor (``benchmarks.floor_app``) measured in the same run. A
missed target says by how much it was missed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.http_reads import ReadFigures
from benchmarks.ingest import IngestResult
from benchmarks.sql_statements import StatementCount

PRODUCT_TARGET = 1.0
"""Full product rps / floor rps (and its p99 at or below the floor's)."""
LIST_TARGET = 0.5
STORE_TARGET = 0.5
"""The public storefront pages (catalogue of 24, product page): at least half the floor."""
"""Page of 50 rps / floor rps."""
STATEMENT_TARGET = 3
INGEST_TARGET = 600.0
"""Products per minute, in-process queue, offline provider without latency."""
SLOW_INGEST_TARGET = 300.0
"""Products per minute on one server process when every provider call takes 1 s."""


@dataclass(slots=True)
class EngineReport:
    engine: str
    reads: ReadFigures | None = None
    statements: list[StatementCount] = field(default_factory=list)
    ingest: list[IngestResult] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    """Part → reason, for each part that could not be measured."""


def _verdict(value: float, target: float, *, at_most: bool = False) -> str:
    met = value <= target if at_most else value >= target
    if met:
        return "met"
    if at_most:
        return f"missed by {value - target:g}"
    return f"missed by {(1 - value / target) * 100:.0f}%"


def _p99_verdict(value: float, floor: float) -> str:
    return "met" if value <= floor else f"missed by {value - floor:.1f} ms"


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def reads_table(reports: Sequence[EngineReport]) -> list[str]:
    lines = [
        "| engine | endpoint | rps | p50 ms | p99 ms | floor rps | floor p99 ms | / floor "
        "| / bare | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for report in reports:
        figures = report.reads
        if figures is None:
            continue
        floor = figures.endpoints["floor"]
        for name, bare, target, label in (
            ("product", "product bare floor", PRODUCT_TARGET, "GET /products/:id"),
            ("list", "list bare floor", LIST_TARGET, "GET /products?page_size=50"),
            (
                "list, not kept",
                "list bare floor",
                LIST_TARGET,
                "GET /products?page_size=50, page cache off",
            ),
            (
                "store catalogue",
                "store catalogue bare floor",
                STORE_TARGET,
                "GET /store/:slug (24)",
            ),
            (
                "store product",
                "store product bare floor",
                STORE_TARGET,
                "GET /store/:slug/products/:ref",
            ),
        ):
            endpoint = figures.endpoints[name]
            ratio = figures.ratio(name)
            verdict = f"≥ {target:g}x: {_verdict(ratio, target)}"
            if name == "product":
                verdict += f"; p99 ≤ floor: {_p99_verdict(endpoint.p99_ms, floor.p99_ms)}"
            lines.append(
                f"| {report.engine} | {label} | {endpoint.rps:.0f} | {_ms(endpoint.p50_ms)} "
                f"| {_ms(endpoint.p99_ms)} | {floor.rps:.0f} | {_ms(floor.p99_ms)} "
                f"| {ratio:.2f} | {figures.ratio(name, bare):.2f} | {verdict} |"
            )
    return lines


def floors_table(reports: Sequence[EngineReport]) -> list[str]:
    lines = [
        "| engine | measured | rps | p50 ms | p99 ms | response bytes | errors | wrk CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for report in reports:
        if report.reads is None:
            continue
        for name, figure in report.reads.endpoints.items():
            lines.append(
                f"| {report.engine} | {name} | {figure.rps:.0f} | {_ms(figure.p50_ms)} "
                f"| {_ms(figure.p99_ms)} | {figure.response_bytes} | {figure.errors} "
                f"| {figure.client_share * 100:.0f}% |"
            )
    return lines


def statements_table(reports: Sequence[EngineReport]) -> list[str]:
    lines = [
        "| engine | request | SQL statements | + BEGIN | target |",
        "|---|---|---:|---:|---|",
    ]
    for report in reports:
        for count in report.statements:
            verdict = _verdict(count.queries, STATEMENT_TARGET, at_most=True)
            lines.append(
                f"| {report.engine} | {count.label} | {count.queries} "
                f"| {count.transaction_control} | ≤ {STATEMENT_TARGET}: {verdict} |"
            )
    return lines


def ingest_table(reports: Sequence[EngineReport]) -> list[str]:
    lines = [
        "| engine | queue | workers | concurrency | s per AI call | products | completed | failed "
        "| all finalized s | seconds | products/min | GET p99 ms during | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for report in reports:
        for result in report.ingest:
            one_worker = next(
                (
                    r
                    for r in report.ingest
                    if r.queue == "taskiq" and r.workers == 1 and r.drain == result.drain
                ),
                None,
            )
            target = ""
            if result.queue == "inprocess":
                goal = SLOW_INGEST_TARGET if result.provider_latency_s >= 1 else INGEST_TARGET
                target = f"≥ {goal:g}: {_verdict(result.per_minute, goal)}"
            elif result.workers > 1 and one_worker is not None:
                faster = result.per_minute > one_worker.per_minute
                verdict = "met" if faster else "missed"
                target = f"faster than 1 worker: {verdict}"
            probe = "" if result.get_p99_ms is None else f"{result.get_p99_ms:.1f}"
            finalized = "" if result.finalized_s is None else f"{result.finalized_s:.1f}"
            lines.append(
                f"| {report.engine} | {result.queue}{' drain' if result.drain else ''} "
                f"| {result.workers} | {result.concurrency} "
                f"| {result.provider_latency_s:g} | {result.products} | {result.completed} "
                f"| {result.failed} | {finalized} | {result.elapsed_s:.1f} | {result.per_minute:.0f} "
                f"| {probe} | {target} |"
            )
    return lines


def render(reports: Sequence[EngineReport], header: Sequence[str]) -> str:
    """Every table, with the run's conditions first and anything not measured last."""
    sections: list[str] = ["## Conditions", "", *header, ""]
    if any(report.reads for report in reports):
        sections += ["## Reads", "", *reads_table(reports), "", "### Floors and load", ""]
        sections += [*floors_table(reports), ""]
    if any(report.statements for report in reports):
        sections += ["## SQL statements per request", "", *statements_table(reports), ""]
    if any(report.ingest for report in reports):
        sections += ["## Ingest", "", *ingest_table(reports), ""]
    missing = [
        f"- {report.engine} {part}: not available: {reason}"
        for report in reports
        for part, reason in report.unavailable.items()
    ]
    if missing:
        sections += ["## Not measured", "", *missing, ""]
    return "\n".join(sections)
