"""Killing the server while a run is ``running`` and starting it again completes that run."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.e2e.conftest import outbox_token, poll_product
from tests.e2e.server import ServerProcess
from tests.images import product_photo


def _ready_product(client: httpx.Client, server: ServerProcess) -> tuple[dict[str, str], str, str]:
    """Register, confirm, create a product with one uploaded photo and finalize it."""
    token = client.post(
        "/api/v1/auth/register",
        json={"email": "crash@example.com", "password": "correct horse battery"},
    ).json()["data"]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    confirm = outbox_token(server.data_dir, "crash@example.com")
    assert client.post("/api/v1/auth/confirm", json={"token": confirm}).status_code == 200
    photo = product_photo()
    created = client.post(
        "/api/v1/products",
        headers=auth,
        json={
            "uploads": [
                {"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": len(photo)}
            ]
        },
    ).json()["data"]
    instruction = created["upload_instructions"][0]
    httpx.put(instruction["upload_url"], content=photo, headers=instruction["headers"])
    product_id = created["product"]["id"]
    finalized = client.post(
        f"/api/v1/products/{product_id}/finalize_uploads",
        headers=auth,
        json={"uploads": [{"id": instruction["image_id"]}]},
    )
    assert finalized.status_code == 200, finalized.text
    return auth, product_id, finalized.json()["data"]["processing_run"]["id"]


def test_killed_server_resumes_running_run(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    # Each AI call takes a while, so the run is certainly mid-way when the process dies.
    slow = {"RESELLER_AI_LATENCY_S": "1.0"}
    first = ServerProcess(data_dir, env=slow)
    first.start()
    try:
        with httpx.Client(base_url=first.base_url, timeout=10) as client:
            auth, product_id, run_id = _ready_product(client, first)
            deadline = time.monotonic() + 20
            while True:
                product = client.get(f"/api/v1/products/{product_id}", headers=auth).json()
                run = product["data"]["product"]["latest_processing_run"]
                if run["status"] == "running" and run["step"] != "queued":
                    break
                assert time.monotonic() < deadline, run
                time.sleep(0.05)
    finally:
        first.kill()

    second = ServerProcess(data_dir, env={"RESELLER_AI_LATENCY_S": "0"})
    second.start()
    try:
        with httpx.Client(base_url=second.base_url, timeout=10) as client:
            done = poll_product(client, product_id, auth, timeout=60)
    finally:
        second.stop()
    run = done["latest_processing_run"]
    assert isinstance(run, dict)
    assert run["id"] == run_id
    assert run["status"] == "completed"
    assert done["status"] in ("ready", "review")
    assert done["description_draft"] is not None
