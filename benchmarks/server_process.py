"""The benchmark server as a child process: started pinned to one core, stopped by its pid."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BenchServer:
    """``python -m benchmarks.serve`` (our app, or the floor) on a free loopback port."""

    host = "127.0.0.1"

    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str],
        cpu: int,
        *,
        app: str = "bench",
        ready_path: str = "/api/v1/health",
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base_url = f"http://{self.host}:{self.port}"
        self.cpu = cpu
        self.app = app
        self.ready_path = ready_path
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
            ),
            "RESELLER_DATA_DIR": str(data_dir),
            "RESELLER_PUBLIC_BASE_URL": self.base_url,
            "RESELLER_LOG_LEVEL": "WARNING",
            "RESELLER_AUTO_MIGRATE": "false",
            **env,
        }
        self.log_path = data_dir / f"{app}-server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> BenchServer:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.serve",
                    "--port",
                    str(self.port),
                    "--cpu",
                    str(self.cpu),
                    "--app",
                    self.app,
                ],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the benchmark server exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(
                    f"{self.base_url}{self.ready_path}", timeout=1
                ) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the benchmark server did not become healthy:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
