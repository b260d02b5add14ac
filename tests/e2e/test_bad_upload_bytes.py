"""Upload bytes that are not an image fail that image and the run cleanly, never the server."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import outbox_token, poll_product
from tests.e2e.server import ServerProcess


def test_non_image_bytes_fail_the_run_not_the_server(fx_server: ServerProcess) -> None:
    with httpx.Client(base_url=fx_server.base_url, timeout=10) as client:
        token = client.post(
            "/api/v1/auth/register",
            json={"email": "junk@example.com", "password": "correct horse battery"},
        ).json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        confirm = outbox_token(fx_server.data_dir, "junk@example.com")
        assert client.post("/api/v1/auth/confirm", json={"token": confirm}).status_code == 200
        junk = b"this is a text file pretending to be a JPEG" * 20
        created = client.post(
            "/api/v1/products",
            headers=auth,
            json={
                "uploads": [
                    {"filename": "fake.jpg", "content_type": "image/jpeg", "byte_size": len(junk)}
                ]
            },
        ).json()["data"]
        instruction = created["upload_instructions"][0]
        put = httpx.put(instruction["upload_url"], content=junk, headers=instruction["headers"])
        assert put.status_code in (200, 201, 204)
        product_id = created["product"]["id"]
        finalized = client.post(
            f"/api/v1/products/{product_id}/finalize_uploads",
            headers=auth,
            json={"uploads": [{"id": instruction["image_id"]}]},
        )
        assert finalized.status_code == 200, finalized.text
        done = poll_product(client, product_id, auth)
        assert client.get("/api/v1/health").status_code == 200

    assert done["status"] == "review"
    run = done["latest_processing_run"]
    assert isinstance(run, dict)
    assert run["status"] == "failed"
    assert run["error_code"] == "no_recognition_images"
    images = done["images"]
    assert isinstance(images, list)
    assert [image["processing_status"] for image in images] == ["failed"]
