"""A server killed during a streaming upload leaves a temporary file; the next start sweeps it.

The upload streams over real HTTP into ``storage/.tmp/``; SIGKILL takes the server down with
the file half-written (no clean-up code runs). Once that file has sat idle longer than an
upload could, the restarted server deletes it at start-up, while a temporary file that is
still fresh (an upload another process may be writing) stays.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reseller_adapters.storage.local import TEMP_MAX_IDLE_S, LocalObjectStorage
from tests.e2e.conftest import outbox_token
from tests.e2e.server import SECRET_KEY, ServerProcess

pytestmark = pytest.mark.slow

CHUNK = b"\xff" * 65536


def _signed_upload(client: httpx.Client, data_dir: Path) -> dict[str, object]:
    email = "leftovers@example.com"
    token = client.post(
        "/api/v1/auth/register", json={"email": email, "password": "correct horse battery"}
    ).json()["data"]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    confirm = outbox_token(data_dir, email)
    assert client.post("/api/v1/auth/confirm", json={"token": confirm}).status_code == 200
    created = client.post(
        "/api/v1/products",
        headers=auth,
        json={"uploads": [{"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": 10**6}]},
    )
    assert created.status_code == 201, created.text
    instruction: dict[str, object] = created.json()["data"]["upload_instructions"][0]
    return instruction


def _wait_for(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_killed_upload_leaves_a_file_that_the_next_start_sweeps(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    env = {"RESELLER_SECRET_KEY": SECRET_KEY}
    temp_dir = data_dir / "storage" / ".tmp"
    server = ServerProcess(data_dir, env)
    server.start()
    stop_streaming = threading.Event()

    def body() -> Iterator[bytes]:
        yield CHUNK
        stop_streaming.wait(30)

    def stream(url: str, headers: dict[str, str]) -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.put(url, content=body(), headers=headers, timeout=30)

    try:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            instruction = _signed_upload(client, data_dir)
        uploader = threading.Thread(
            target=stream,
            args=(instruction["upload_url"], instruction["headers"]),
            daemon=True,
        )
        uploader.start()
        _wait_for(lambda: any(path.stat().st_size > 0 for path in temp_dir.glob("*.part")))
        server.kill()
    finally:
        stop_streaming.set()
        server.stop()
    uploader.join(10)
    (leftover,) = temp_dir.glob("*.part")
    stale = time.time() - TEMP_MAX_IDLE_S - 60
    os.utime(leftover, (stale, stale))
    fresh = temp_dir / "in-flight.part"
    fresh.write_bytes(CHUNK)

    restarted = ServerProcess(data_dir, env)
    restarted.start()
    restarted.stop()

    assert not leftover.exists()
    assert fresh.exists()


def test_sweep_removes_only_idle_temporary_files(tmp_path: Path) -> None:
    storage = LocalObjectStorage(tmp_path, "http://127.0.0.1:8000", b"0123456789abcdef")
    temp_dir = tmp_path / ".tmp"
    temp_dir.mkdir()
    idle, busy = temp_dir / "idle.part", temp_dir / "busy.part"
    idle.write_bytes(b"x")
    busy.write_bytes(b"x")
    now = time.time()
    os.utime(idle, (now - TEMP_MAX_IDLE_S - 1, now - TEMP_MAX_IDLE_S - 1))

    assert storage.sweep_temporary(now=now) == 1
    assert not idle.exists()
    assert busy.exists()
    assert storage.sweep_temporary(now=now + TEMP_MAX_IDLE_S + 1) == 1
    assert not busy.exists()
