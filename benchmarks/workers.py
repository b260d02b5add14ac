"""``reseller worker`` processes for the taskiq measurements, each pinned to a core.

All of them are launched at once and the block starts when every one has logged that it
started; leaving the block stops them (SIGTERM, then a kill after 30 s).
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from benchmarks.server_process import REPO_ROOT

WORKER_START_TIMEOUT_S = 60.0


@contextlib.contextmanager
def running_workers(
    data_dir: Path, env: dict[str, str], cpus: Sequence[int | None]
) -> Iterator[None]:
    """One worker per entry of ``cpus`` (pinned there; None: not pinned) until the block ends."""
    taskset = shutil.which("taskset")
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for cpu in cpus:
            log_path = data_dir / f"worker-{secrets.token_hex(3)}.log"
            command = [sys.executable, "-m", "reseller_entrypoints.cli", "worker"]
            if cpu is not None and taskset is not None:
                command = [taskset, "-c", str(cpu), *command]
            with log_path.open("ab") as log:
                process = subprocess.Popen(
                    command,
                    cwd=REPO_ROOT,
                    env={**env, "RESELLER_LOG_LEVEL": "INFO"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, log_path))
        deadline = time.monotonic() + WORKER_START_TIMEOUT_S
        for process, log_path in started:
            while "worker started" not in log_path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log_path.read_text(errors="replace")[-4000:]
                    raise RuntimeError(f"the worker did not start:\n{tail}")
                time.sleep(0.05)
        yield
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _ in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
