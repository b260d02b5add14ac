from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess


@pytest.fixture
def fx_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "var")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def outbox_token(data_dir: Path, email: str, timeout: float = 5.0) -> str:
    """The confirmation token from the newest message to ``email`` in the outbox."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = sorted((data_dir / "outbox").glob("*.eml"))
        for path in reversed(messages):
            text = path.read_text()
            if email in text:
                match = re.search(r"token=([A-Za-z0-9_\-]+)", text)
                if match:
                    return match.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no confirmation e-mail for {email} in {data_dir / 'outbox'}")


def poll_product(
    client: httpx.Client, product_id: str, headers: dict[str, str], timeout: float = 60.0
) -> dict[str, object]:
    """GET the product until it leaves uploading/processing (the seed's step 4)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/api/v1/products/{product_id}", headers=headers)
        assert response.status_code == 200, response.text
        product: dict[str, object] = response.json()["data"]["product"]
        if product["status"] not in ("uploading", "processing"):
            return product
        if time.monotonic() > deadline:
            raise AssertionError(f"product still {product['status']}: {product}")
        time.sleep(0.1)
