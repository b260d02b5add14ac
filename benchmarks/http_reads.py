"""Read throughput of the two hot endpoints beside their floors, on a real pinned server.

One server process (``benchmarks.serve``, pinned to one core) serves, in the same run:

- ``GET /api/v1/products/:id``: the full product (6 images, 12 listings);
- ``GET /api/v1/products?page_size=50``: the first page of the 10,000-product catalogue;
- the bare floor of each: the exact bytes that endpoint answered, from memory;
- the one-row floor: one product row by primary key through the same unit of work.

The load generator runs in this process, pinned to the other core. Endpoints are measured
in rounds (each round runs every endpoint once, with its own warm-up), so a disturbance
on the machine hits all of them alike; a figure is the median of its rounds' throughput
and the percentiles of all its rounds' latencies pooled.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.dataset import ReadDataset
from benchmarks.load_generator import LoadResult, run_load
from benchmarks.server_process import BenchServer

LIST_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class LoadSettings:
    connections: int
    warmup_s: float
    duration_s: float
    rounds: int
    max_requests: int


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    path: str
    token: str


@dataclass(slots=True)
class EndpointFigure:
    """One endpoint's rounds, summarised."""

    name: str
    path: str
    rounds: list[LoadResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(result.rps for result in self.rounds)

    def _pooled(self, share: float) -> float:
        pooled = LoadResult(
            path=self.path,
            connections=0,
            elapsed_s=1.0,
            latencies_ns=[ns for result in self.rounds for ns in result.latencies_ns],
            errors=0,
            client_cpu_s=0.0,
            response_bytes=0,
        )
        return pooled.percentile_ms(share)

    @property
    def p50_ms(self) -> float:
        return self._pooled(0.50)

    @property
    def p99_ms(self) -> float:
        return self._pooled(0.99)

    @property
    def errors(self) -> int:
        return sum(result.errors for result in self.rounds)

    @property
    def requests(self) -> int:
        return sum(result.requests for result in self.rounds)

    @property
    def client_share(self) -> float:
        return max(result.client_share for result in self.rounds)

    @property
    def response_bytes(self) -> int:
        first = self.rounds[0]
        return first.response_bytes // max(1, first.requests)


@dataclass(slots=True)
class ReadFigures:
    endpoints: dict[str, EndpointFigure]
    product_bytes: int
    list_bytes: int

    def ratio(self, endpoint: str, floor: str) -> float:
        return self.endpoints[endpoint].rps / self.endpoints[floor].rps


def _fetch(server: BenchServer, path: str, token: str) -> bytes:
    request = urllib.request.Request(
        server.base_url + path, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return bytes(reply.read())


def _store_bare(server: BenchServer, name: str, payload: bytes) -> None:
    request = urllib.request.Request(
        f"{server.base_url}/_bench/bare/{name}", data=payload, method="PUT"
    )
    with urllib.request.urlopen(request, timeout=30):
        pass


def _check_payloads(product: bytes, page: bytes, dataset: ReadDataset) -> None:
    """Fail early when the data is not what the figures claim to measure."""
    body = json.loads(product)["data"]["product"]
    if len(body["images"]) != 6 or len(body["marketplace_listings"]) != 12:
        raise RuntimeError("the full product does not have 6 images and 12 listings")
    data = json.loads(page)["data"]
    if len(data["products"]) != LIST_PAGE_SIZE:
        raise RuntimeError(f"the list page has {len(data['products'])} products")
    if data["pagination"]["total_count"] != dataset.catalogue_size:
        raise RuntimeError(f"the catalogue has {data['pagination']['total_count']} products")


def measure_reads(
    database_url: str,
    data_dir: Path,
    dataset: ReadDataset,
    load: LoadSettings,
    *,
    server_cpu: int,
    extra_env: Mapping[str, str] | None = None,
) -> ReadFigures:
    """Start the pinned server on ``database_url`` and measure every endpoint in rounds."""
    env = {"RESELLER_DATABASE_URL": database_url, **(extra_env or {})}
    with BenchServer(data_dir, env, cpu=server_cpu) as server:
        product_path = f"/api/v1/products/{dataset.product_id}"
        list_path = f"/api/v1/products?page_size={LIST_PAGE_SIZE}"
        product = _fetch(server, product_path, dataset.product_token)
        page = _fetch(server, list_path, dataset.catalogue_token)
        _check_payloads(product, page, dataset)
        _store_bare(server, "product", product)
        _store_bare(server, "list", page)
        endpoints = [
            Endpoint("product", product_path, dataset.product_token),
            Endpoint("product bare floor", "/_bench/bare/product", dataset.product_token),
            Endpoint(
                "one-row floor", f"/_bench/one-row/{dataset.product_id}", dataset.product_token
            ),
            Endpoint("list", list_path, dataset.catalogue_token),
            Endpoint("list bare floor", "/_bench/bare/list", dataset.catalogue_token),
        ]
        figures = {e.name: EndpointFigure(e.name, e.path) for e in endpoints}
        for _ in range(load.rounds):
            for endpoint in endpoints:
                result = asyncio.run(
                    run_load(
                        server.host,
                        server.port,
                        endpoint.path,
                        headers={"Authorization": f"Bearer {endpoint.token}"},
                        connections=load.connections,
                        warmup_s=load.warmup_s,
                        duration_s=load.duration_s,
                        max_requests=load.max_requests,
                    )
                )
                if result.requests == 0:
                    raise RuntimeError(
                        f"{endpoint.name}: no request completed in {load.duration_s:.0f} s"
                    )
                figures[endpoint.name].rounds.append(result)
    return ReadFigures(endpoints=figures, product_bytes=len(product), list_bytes=len(page))
