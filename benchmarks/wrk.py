"""wrk (Debian's package) as the external load generator of every HTTP measurement.

One wrk thread on its own core drives ``connections`` keep-alive connections, closed loop,
loopback only, bounded in time. A warm-up run precedes each measured run. wrk reports its
latency percentiles itself (``benchmarks/wrk.lua`` prints them as one JSON line); the CPU
time the wrk process used is read from its resource usage, so the report can show that the
generator never limited a figure.
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk.lua")
INSTALL_HINT = "install it with: apt-get install -y wrk (Debian's package)"
MARKER = "WRK-JSON "


class WrkMissing(RuntimeError):
    """wrk is not on ``PATH``; the message says how to install it."""


def wrk_path() -> str:
    """The wrk executable, or ``WrkMissing`` naming the package to install."""
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing(f"wrk is not installed; {INSTALL_HINT}")
    return found


@dataclass(frozen=True, slots=True)
class WrkResult:
    """One measured window as wrk saw it."""

    path: str
    requests: int
    duration_s: float
    bytes: int
    errors: int
    """Socket errors, timeouts and non-2xx/3xx answers."""
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def client_share(self) -> float:
        """wrk's CPU time as a share of its one core over the window."""
        return self.client_cpu_s / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def response_bytes(self) -> int:
        return self.bytes // max(1, self.requests)


def _child_cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def run_wrk(
    url: str,
    *,
    connections: int,
    duration_s: float,
    headers: Sequence[tuple[str, str]] = (),
    random_ids: tuple[str, int] | None = None,
    cpu: int | None = None,
    timeout_s: float = 10.0,
) -> WrkResult:
    """Run wrk against ``url`` for ``duration_s`` and return what it measured.

    ``random_ids=(prefix, n)`` requests ``prefix + str(random 1..n)`` instead of the URL's
    own path. ``cpu`` pins wrk to that core (``taskset``).
    """
    command = [
        wrk_path(),
        "-t1",
        f"-c{connections}",
        f"-d{max(1, math.ceil(duration_s))}s",
        f"--timeout={timeout_s:g}s",
        "-s",
        str(SCRIPT),
    ]
    for name, value in headers:
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if random_ids is not None:
        command += ["--", random_ids[0], str(random_ids[1])]
    taskset = shutil.which("taskset")
    if cpu is not None and taskset is not None:
        command = [taskset, "-c", str(cpu), *command]
    cpu_before = _child_cpu_seconds()
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    cpu_used = _child_cpu_seconds() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout[-2000:]}")
    data = json.loads(lines[-1][len(MARKER) :])
    return WrkResult(
        path=url,
        requests=int(data["requests"]),
        duration_s=data["duration_us"] / 1e6,
        bytes=int(data["bytes"]),
        errors=sum(int(data[key]) for key in ("connect", "read", "write", "status", "timeout")),
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        client_cpu_s=cpu_used,
    )
