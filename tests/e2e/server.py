"""Run ``reseller serve`` and ``reseller worker`` as real child processes.

Each child runs in its own session (process group), so a signal reaches every process it
forked: ``reseller serve --workers 2`` is a uvicorn supervisor with two server children, and
``kill()`` (SIGKILL) takes all of them down at once, as when a machine dies. Output goes to
a log file per process, which start-up failures quote.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

SECRET_KEY = "e2e-shared-secret-key-0123456789abcdef"
"""One ``RESELLER_SECRET_KEY`` for every process of a deployment (they sign for each other)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(
    *,
    database_url: str,
    redis_url: str,
    redis_prefix: str,
    storage: Mapping[str, str],
    **extra: str,
) -> dict[str, str]:
    """The ``RESELLER_*`` settings of the production topology: PostgreSQL, S3, taskiq, Redis.

    ``storage`` is the S3 part (``MotoServer.env(bucket)``); ``extra`` adds settings by
    field name (``run_heartbeat_timeout_s="2"`` → ``RESELLER_RUN_HEARTBEAT_TIMEOUT_S``).
    Migrations are applied once by the test fixture, never by the processes themselves.
    """
    return {
        "RESELLER_DATABASE_URL": database_url,
        "RESELLER_QUEUE": "taskiq",
        "RESELLER_RATE_LIMITER": "redis",
        "RESELLER_REDIS_URL": redis_url,
        "RESELLER_REDIS_PREFIX": redis_prefix,
        "RESELLER_SECRET_KEY": SECRET_KEY,
        "RESELLER_AUTO_MIGRATE": "false",
        **storage,
        **{f"RESELLER_{name.upper()}": value for name, value in extra.items()},
    }


class ManagedProcess:
    """One ``python -m reseller_entrypoints.cli ...`` child in its own process group, logging to a file."""

    ready_line = ""
    """The log line the process writes once it is up (``wait_ready`` counts new ones)."""

    def __init__(
        self,
        label: str,
        arguments: list[str],
        *,
        data_dir: Path,
        env: Mapping[str, str] | None,
        log_dir: Path | None,
    ) -> None:
        self.label = label
        self.arguments = arguments
        self.data_dir = data_dir
        self.extra_env = dict(env or {})
        self.log_path = (log_dir or data_dir) / f"{label}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._startups_before = 0

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "RESELLER_DATA_DIR": str(self.data_dir),
            "RESELLER_LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    def spawn(self) -> None:
        """Start the child (its output appended to ``log_path``); returns at once."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._startups_before = self.log().count(self.ready_line) if self.ready_line else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reseller_entrypoints.cli", *self.arguments],
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 30) -> str:
        """The end of the log, for assertion messages."""
        return f"--- {self.label} ---\n" + "\n".join(self.log().splitlines()[-lines:])

    def _signal_group(self, sig: signal.Signals) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown hook runs, as when a machine dies."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 15.0) -> int | None:
        """SIGTERM (a graceful shutdown), SIGKILL if it outlives ``timeout``; the exit code.

        Whatever is left of the group afterwards (a child the supervisor did not reap) is
        killed too, so no test leaves processes behind.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=10)
        self._signal_group(signal.SIGKILL)
        return self.process.returncode

    def stop(self) -> None:
        self.terminate()

    def _exited_early(self) -> RuntimeError:
        return RuntimeError(f"{self.label} exited early:\n{self.log()}")


STARTUP_COMPLETE = "Application startup complete"
"""uvicorn's log line once one server process has run the app's start-up hooks."""


class ServerProcess(ManagedProcess):
    """``reseller serve [--workers N]`` on a free loopback port."""

    ready_line = STARTUP_COMPLETE

    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str] | None = None,
        *,
        workers: int = 1,
        log_dir: Path | None = None,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        arguments = ["serve", "--port", str(self.port)]
        if workers > 1:
            arguments += ["--workers", str(workers)]
        super().__init__(
            f"server-{self.port}", arguments, data_dir=data_dir, env=env, log_dir=log_dir
        )

    def environment(self) -> dict[str, str]:
        return {"RESELLER_PUBLIC_BASE_URL": self.base_url, **super().environment()}

    def start(self, timeout: float = 30.0) -> None:
        """Spawn and wait until it serves (see ``wait_ready``)."""
        self.spawn()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until every server process has started and ``/api/v1/health`` is 200.

        With ``--workers N`` that is N "Application startup complete" lines in the log, so
        no request lands while a sibling is still starting. The log is quoted on failure.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise self._exited_early()
            if self.log().count(STARTUP_COMPLETE) - self._startups_before >= self.workers:
                try:
                    response = httpx.get(f"{self.base_url}/api/v1/health", timeout=1)
                    if response.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        self.terminate()
        raise RuntimeError(f"{self.label} did not become healthy:\n{self.log()}")


WORKER_STARTED = "worker started"
"""The log line ``reseller worker`` writes once it consumes the queue."""


class WorkerProcess(ManagedProcess):
    """``reseller worker``: consumes the shared queue, runs the pipeline, sweeps stale runs."""

    ready_line = WORKER_STARTED

    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str] | None = None,
        *,
        log_dir: Path | None = None,
        name: str = "worker",
    ) -> None:
        super().__init__(name, ["worker"], data_dir=data_dir, env=env, log_dir=log_dir)

    def start(self, timeout: float = 30.0) -> None:
        """Spawn and wait until it consumes (see ``wait_ready``)."""
        self.spawn()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait for the worker's start-up log line (the log is quoted on failure)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise self._exited_early()
            if self.log().count(WORKER_STARTED) > self._startups_before:
                return
            time.sleep(0.1)
        self.terminate()
        raise RuntimeError(f"{self.label} did not start:\n{self.log()}")
