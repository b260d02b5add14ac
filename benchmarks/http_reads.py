"""Read throughput of the two hot endpoints beside the floor, on real pinned servers.

Three server processes, all pinned to the same core, serve in the same run:

- the *floor* (``benchmarks.floor_app``): a minimal Litestar app that is not ours, one
  ORM ``session.get`` of a 15-column row from a 10,000-row SQLite table (random ids);
- our app (``benchmarks.bench_app``): ``GET /api/v1/products/:id`` (the full product: 6
  images, 12 listings), ``GET /api/v1/products?page_size=50`` (the first page of the
  10,000-product catalogue), and the bare floor of each: the exact bytes that endpoint
  answered, from memory (server, framework and response size only);
- our app again with its page cache off (``RESELLER_PRODUCT_PAGE_CACHE_MB=0``), for the
  page read from the database on every request (``list, not kept``): what a page costs
  the first time it is asked for after a change.

wrk runs pinned to the other core. Endpoints are measured in rounds (each round runs every
endpoint once, after its own warm-up), so a disturbance on the machine hits all of them
alike; a figure is the median of its rounds' throughput and the worst of its rounds' p99.
"""

from __future__ import annotations

import json
import statistics
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.dataset import STORE_PRODUCTS, ReadDataset
from benchmarks.floor_app import DATABASE_ENV, ROWS, seed
from benchmarks.server_process import BenchServer
from benchmarks.wrk import WrkResult, run_wrk

LIST_PAGE_SIZE = 50
FLOOR = "floor"


@dataclass(frozen=True, slots=True)
class LoadSettings:
    connections: int
    warmup_s: float
    duration_s: float
    rounds: int


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    server: BenchServer
    path: str
    token: str | None = None
    random_ids: tuple[str, int] | None = None


@dataclass(slots=True)
class EndpointFigure:
    """One endpoint's rounds, summarised."""

    name: str
    path: str
    rounds: list[WrkResult] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return statistics.median(result.rps for result in self.rounds)

    @property
    def p50_ms(self) -> float:
        return statistics.median(result.p50_ms for result in self.rounds)

    @property
    def p99_ms(self) -> float:
        """The worst round's p99: a tail is not averaged away."""
        return max(result.p99_ms for result in self.rounds)

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
        return self.rounds[0].response_bytes


@dataclass(slots=True)
class ReadFigures:
    endpoints: dict[str, EndpointFigure]
    product_bytes: int
    list_bytes: int

    def ratio(self, endpoint: str, floor: str = FLOOR) -> float:
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


def floor_database(data_dir: Path) -> Path:
    """The floor's SQLite file in ``data_dir``, seeded once."""
    import asyncio

    path = data_dir / "floor.sqlite3"
    if not path.exists():
        asyncio.run(seed(str(path)))
    return path


def measure(endpoint: Endpoint, load: LoadSettings, client_cpu: int | None) -> WrkResult:
    """One warm-up run, then one measured run of wrk against ``endpoint``."""
    headers = [("Authorization", f"Bearer {endpoint.token}")] if endpoint.token else []
    url = endpoint.server.base_url + endpoint.path
    common = {
        "connections": load.connections,
        "headers": headers,
        "random_ids": endpoint.random_ids,
        "cpu": client_cpu,
    }
    if load.warmup_s > 0:
        run_wrk(url, duration_s=load.warmup_s, **common)  # type: ignore[arg-type]
    result = run_wrk(url, duration_s=load.duration_s, **common)  # type: ignore[arg-type]
    if result.requests == 0:
        raise RuntimeError(f"{endpoint.name}: no request completed in {load.duration_s:.0f} s")
    return result


def measure_reads(
    database_url: str,
    data_dir: Path,
    dataset: ReadDataset,
    load: LoadSettings,
    *,
    server_cpu: int,
    client_cpu: int | None,
    extra_env: Mapping[str, str] | None = None,
) -> ReadFigures:
    """Start the pinned servers and measure every endpoint in interleaved rounds."""
    env = {"RESELLER_DATABASE_URL": database_url, **(extra_env or {})}
    floor_env = {DATABASE_ENV: str(floor_database(data_dir))}
    with (
        BenchServer(data_dir, env, cpu=server_cpu) as server,
        BenchServer(
            data_dir,
            # The same public URL as ``server``: the stored documents stay fresh for both.
            {
                **env,
                "RESELLER_PRODUCT_PAGE_CACHE_MB": "0",
                "RESELLER_PUBLIC_BASE_URL": server.base_url,
            },
            cpu=server_cpu,
        ) as uncached,
        BenchServer(
            data_dir, floor_env, cpu=server_cpu, app="floor", ready_path="/rows/1"
        ) as floor,
    ):
        product_path = f"/api/v1/products/{dataset.product_id}"
        list_path = f"/api/v1/products?page_size={LIST_PAGE_SIZE}"
        product = _fetch(server, product_path, dataset.product_token)
        page = _fetch(server, list_path, dataset.catalogue_token)
        _check_payloads(product, page, dataset)
        if _fetch(uncached, list_path, dataset.catalogue_token) != page:
            raise RuntimeError("the page differs with the page cache off")
        _store_bare(server, "product", product)
        _store_bare(server, "list", page)
        store_path = f"/store/{dataset.store_slug}"
        store_product_path = f"{store_path}/products/{dataset.store_product_ref}"
        store_page = _fetch(server, store_path, "")
        store_product = _fetch(server, store_product_path, "")
        if store_page.count(b'class="card"') != STORE_PRODUCTS:
            raise RuntimeError("the public catalogue page does not show 24 products")
        _store_bare(server, "store", store_page)
        _store_bare(server, "store-product", store_product)
        endpoints = [
            Endpoint(FLOOR, floor, "/rows/1", random_ids=("/rows/", ROWS)),
            Endpoint("product", server, product_path, dataset.product_token),
            Endpoint("product bare floor", server, "/_bench/bare/product"),
            Endpoint("list", server, list_path, dataset.catalogue_token),
            Endpoint("list, not kept", uncached, list_path, dataset.catalogue_token),
            Endpoint("list bare floor", server, "/_bench/bare/list"),
            Endpoint("store catalogue", server, store_path),
            Endpoint("store catalogue bare floor", server, "/_bench/bare/store"),
            Endpoint("store product", server, store_product_path),
            Endpoint("store product bare floor", server, "/_bench/bare/store-product"),
        ]
        figures = {e.name: EndpointFigure(e.name, e.path) for e in endpoints}
        for _ in range(load.rounds):
            for endpoint in endpoints:
                figures[endpoint.name].rounds.append(measure(endpoint, load, client_cpu))
    return ReadFigures(endpoints=figures, product_bytes=len(product), list_bytes=len(page))
