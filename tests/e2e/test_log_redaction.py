"""No secret reaches the logs: a whole flow against ``reseller serve`` at DEBUG, then a grep.

The server runs with every logger at DEBUG (libraries included) and JSON lines, so anything a
library would print is there to be found. Every bearer token, confirmation token and URL
upload signature the flow handled must be absent from the log; the access lines of the signed
uploads must be present, with their signatures redacted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.e2e.conftest import outbox_token, poll_product
from tests.e2e.server import ServerProcess
from tests.images import product_photo

PASSWORD = "correct horse battery"


def _signature(url: str) -> str:
    values = parse_qs(urlsplit(url).query)["sig"]
    return values[0]


def test_a_full_flow_logs_no_signature_or_token(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "var",
        {
            "RESELLER_LOG_LEVEL": "DEBUG",
            "RESELLER_LOG_LIBRARIES_LEVEL": "DEBUG",
            "RESELLER_LOG_FORMAT": "json",
        },
    )
    server.start()
    secrets: dict[str, str] = {}
    try:
        jpeg = product_photo("JPEG", item=(20, 40, 200))
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            registered = client.post(
                "/api/v1/auth/register", json={"email": "logs@example.com", "password": PASSWORD}
            )
            assert registered.status_code == 200, registered.text
            secrets["register token"] = registered.json()["data"]["token"]
            confirmation = outbox_token(server.data_dir, "logs@example.com")
            secrets["confirmation token"] = confirmation
            assert client.get("/confirm", params={"token": confirmation}).status_code == 200
            assert client.post("/api/v1/auth/confirm", json={"token": confirmation}).is_success
            login = client.post(
                "/api/v1/auth/login", json={"email": "logs@example.com", "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            token = login.json()["data"]["token"]
            secrets["login token"] = token
            auth = {"Authorization": f"Bearer {token}"}
            created = client.post(
                "/api/v1/products",
                headers=auth,
                json={
                    "uploads": [
                        {"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": len(jpeg)}
                    ]
                },
            )
            assert created.status_code == 201, created.text
            data = created.json()["data"]
            [instruction] = data["upload_instructions"]
            secrets["upload signature"] = _signature(instruction["upload_url"])
            put = httpx.put(instruction["upload_url"], content=jpeg, headers=instruction["headers"])
            assert put.is_success, put.text
            product_id = data["product"]["id"]
            finalized = client.post(
                f"/api/v1/products/{product_id}/finalize_uploads",
                headers=auth,
                json={"uploads": [{"id": instruction["image_id"]}]},
            )
            assert finalized.status_code == 200, finalized.text
            done = poll_product(client, product_id, auth)
            for image in done["images"]:  # type: ignore[attr-defined]
                assert httpx.get(image["url"], timeout=10).status_code == 200
            assert client.delete("/api/v1/auth/token", headers=auth).status_code in (200, 204)
    finally:
        server.stop()

    log = server.log()
    assert PASSWORD not in log
    for name, secret in secrets.items():
        assert secret not in log, f"the {name} appears in the log"
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    uploads = [line for line in access if line["path"].startswith("/uploads/")]
    assert uploads and all(line["path"].endswith("sig=[redacted]") for line in uploads)
    assert any(line["path"].startswith("/files/") for line in access)
    assert all(re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) for line in access)
    # The start-up banner: one line per adapter, then one start and one finish per run.
    banner = {line["adapter_kind"]: line for line in lines if line["logger"] == "reseller.startup"}
    assert set(banner) >= {"database", "storage", "queue", "mailer", "ai_provider"}
    assert banner["storage"]["adapter"] == "local"
    runs = [line for line in lines if line.get("run_id") and "outcome" in line]
    assert [run["outcome"] for run in runs] == ["completed"]
    assert runs[0]["product_id"] == product_id and runs[0]["attempt"] == 1
    # Third-party DEBUG lines were asked for and are present: the grep covered them too.
    assert any(not line["logger"].startswith(("reseller", "uvicorn")) for line in lines)
