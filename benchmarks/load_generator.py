"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams (loopback only).

Each of ``connections`` keep-alive connections sends one ``GET``, reads the whole response
(``Content-Length`` or chunked) and sends the next: no per-request objects beyond the
bytes, so one core drives far more requests per second than the server under test
answers. The run is bounded in time (warm-up + measurement, then in-flight requests are
cancelled) and in requests. Only requests that start and finish inside the measurement
window count; any status other than 200 is counted as an error.

The generator measures its own CPU time: when it was busy most of the window, it may have
been the bottleneck, and the result says so (``client_busy``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

CLIENT_BUSY_SHARE = 0.9
"""Above this share of one core, the load generator may be limiting the figure."""


@dataclass(slots=True)
class LoadResult:
    """Completed requests, errors and latencies of one measurement window."""

    path: str
    connections: int
    elapsed_s: float
    latencies_ns: list[int]
    errors: int
    client_cpu_s: float
    response_bytes: int

    @property
    def requests(self) -> int:
        return len(self.latencies_ns)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def percentile_ms(self, share: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        rank = max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))
        return ordered[rank] / 1e6

    @property
    def p50_ms(self) -> float:
        return self.percentile_ms(0.50)

    @property
    def p99_ms(self) -> float:
        return self.percentile_ms(0.99)

    @property
    def client_share(self) -> float:
        """The load generator's CPU time as a share of one core over the window."""
        return self.client_cpu_s / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def client_busy(self) -> bool:
        return self.client_share > CLIENT_BUSY_SHARE


@dataclass(slots=True)
class _Window:
    measuring: bool = False
    stopping: bool = False
    opened_ns: int = 0
    limit: int = 0
    latencies: list[int] = field(default_factory=list)
    errors: int = 0
    response_bytes: int = 0
    full: asyncio.Event = field(default_factory=asyncio.Event)


def build_request(host: str, port: int, path: str, headers: Mapping[str, str]) -> bytes:
    """The bytes of a keep-alive ``GET``."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _require_loopback(host: str) -> None:
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the load generator only targets loopback addresses, not {host!r}")


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Read one response; returns (status, body length)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    marker = lowered.find(b"\r\ncontent-length:")
    if marker >= 0:
        end = lowered.index(b"\r\n", marker + 2)
        length = int(lowered[marker + 17 : end])
        await reader.readexactly(length)
        return status, length
    if b"transfer-encoding: chunked" in lowered:
        total = 0
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            total += size
            if size == 0:
                return status, total
    raise RuntimeError("response without Content-Length or chunked encoding")


async def _connection(host: str, port: int, request: bytes, window: _Window) -> None:
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    clock = time.perf_counter_ns
    try:
        while not window.stopping:
            started = clock()
            writer.write(request)
            status, length = await _read_response(reader)
            finished = clock()
            if window.measuring and started >= window.opened_ns:
                if status == 200:
                    window.latencies.append(finished - started)
                    window.response_bytes += length
                else:
                    window.errors += 1
                if len(window.latencies) + window.errors >= window.limit:
                    window.full.set()
    finally:
        writer.close()


async def run_load(
    host: str,
    port: int,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    connections: int = 16,
    warmup_s: float = 2.0,
    duration_s: float = 5.0,
    max_requests: int = 200_000,
) -> LoadResult:
    """Warm up, then measure ``path`` for ``duration_s`` or ``max_requests``, whichever first."""
    _require_loopback(host)
    request = build_request(host, port, path, headers or {})
    window = _Window(limit=max_requests)
    tasks = [
        asyncio.create_task(_connection(host, port, request, window)) for _ in range(connections)
    ]
    try:
        await _sleep_unless_failed(tasks, warmup_s)
        cpu_start = time.process_time()
        window.opened_ns = time.perf_counter_ns()
        window.measuring = True
        waiter = asyncio.create_task(window.full.wait())
        await asyncio.wait([waiter, *tasks], timeout=duration_s, return_when="FIRST_COMPLETED")
        waiter.cancel()
        closed_ns = time.perf_counter_ns()
        cpu = time.process_time() - cpu_start
        window.measuring = False
        window.stopping = True
        _raise_failures(tasks)
    finally:
        window.stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return LoadResult(
        path=path,
        connections=connections,
        elapsed_s=(closed_ns - window.opened_ns) / 1e9,
        latencies_ns=window.latencies,
        errors=window.errors,
        client_cpu_s=cpu,
        response_bytes=window.response_bytes,
    )


async def _sleep_unless_failed(tasks: list[asyncio.Task[None]], seconds: float) -> None:
    await asyncio.wait(tasks, timeout=seconds, return_when="FIRST_EXCEPTION")
    _raise_failures(tasks)


def _raise_failures(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise RuntimeError(f"a load connection failed: {task.exception()!r}")
