"""A decompression bomb costs the worker no memory: its declared size is refused up front.

The bomb is a 20 KB PNG declaring 13,000 x 13,000 one-bit pixels. Uploaded over real HTTP
to a real server (embedded mode: the server process runs the pipeline), it must fail as an
invalid image while the process's peak resident memory (the kernel's high-water mark, the
figure ``getrusage`` reports as ``ru_maxrss``) stays under 300 MB for one bomb and 400 MB
for two processed at once. Fully decoded, one bomb took the process to about 3 GB.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import outbox_token, poll_product
from tests.e2e.server import ServerProcess
from tests.images import png_bomb

pytestmark = pytest.mark.slow

MB = 1024 * 1024


def peak_rss(pid: int) -> int:
    """The process's peak resident set size in bytes (``VmHWM``, Linux's ``ru_maxrss``)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB$", status, re.MULTILINE)
    assert match is not None, status
    return int(match.group(1)) * 1024


def _seller(client: httpx.Client, data_dir: Path) -> dict[str, str]:
    email = "bombs@example.com"
    token = client.post(
        "/api/v1/auth/register", json={"email": email, "password": "correct horse battery"}
    ).json()["data"]["token"]
    confirm = outbox_token(data_dir, email)
    assert client.post("/api/v1/auth/confirm", json={"token": confirm}).status_code == 200
    return {"Authorization": f"Bearer {token}"}


def _upload_bomb(client: httpx.Client, auth: dict[str, str], bomb: bytes) -> str:
    """Create a product with the bomb as its photo and finalize it; the product id."""
    created = client.post(
        "/api/v1/products",
        headers=auth,
        json={
            "uploads": [
                {"filename": "bomb.png", "content_type": "image/png", "byte_size": len(bomb)}
            ]
        },
    )
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    instruction = data["upload_instructions"][0]
    put = httpx.put(instruction["upload_url"], content=bomb, headers=instruction["headers"])
    assert put.status_code in (200, 201, 204), put.text
    product_id: str = data["product"]["id"]
    return product_id


def _finalize(client: httpx.Client, auth: dict[str, str], product_id: str, image_id: str) -> None:
    finalized = client.post(
        f"/api/v1/products/{product_id}/finalize_uploads",
        headers=auth,
        json={"uploads": [{"id": image_id}]},
    )
    assert finalized.status_code == 200, finalized.text


@pytest.mark.parametrize(("bombs", "limit_mb"), [(1, 300), (2, 400)])
def test_png_bombs_are_refused_within_the_memory_budget(
    tmp_path: Path, bombs: int, limit_mb: int
) -> None:
    bomb = png_bomb(13_000)
    assert len(bomb) < 64 * 1024
    server = ServerProcess(tmp_path / "var")
    server.start()
    try:
        assert server.process is not None
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            auth = _seller(client, server.data_dir)
            products = []
            for _ in range(bombs):
                product_id = _upload_bomb(client, auth, bomb)
                image_id = client.get(f"/api/v1/products/{product_id}", headers=auth).json()[
                    "data"
                ]["product"]["images"][0]["id"]
                products.append((product_id, image_id))
            # Finalized together, so the worker's two slots take them at the same time.
            with ThreadPoolExecutor(bombs) as pool:
                list(pool.map(lambda ids: _finalize(client, auth, *ids), products))
            done = [poll_product(client, product_id, auth) for product_id, _ in products]
            peak = peak_rss(server.process.pid)
    finally:
        server.stop()

    for product in done:
        run = product["latest_processing_run"]
        assert isinstance(run, dict)
        assert run["status"] == "failed"
        assert run["error_code"] == "no_recognition_images"
        images = product["images"]
        assert isinstance(images, list)
        assert [image["processing_status"] for image in images] == ["failed"]
        (rejected,) = run["payload"]["rejected_images"]  # type: ignore[index]
        assert "13000 x 13000 pixels" in rejected["reason"]
        assert "exceeds the 50.0 Mpx limit" in rejected["reason"]
    print(f"peak server memory with {bombs} bomb(s): {peak / MB:.0f} MB (limit {limit_mb} MB)")
    assert peak < limit_mb * MB, f"peak {peak / MB:.0f} MB"
