"""The seed's quick start over real HTTP against ``reseller serve`` (embedded defaults)."""

from __future__ import annotations

import httpx

from reseller_core.domain.marketplaces import get_marketplace
from tests.e2e.conftest import outbox_token, poll_product
from tests.e2e.server import ServerProcess
from tests.images import product_photo


def test_quick_start_flow(fx_server: ServerProcess) -> None:
    jpeg = product_photo("JPEG", item=(20, 40, 200))
    png = product_photo("PNG", size=(400, 500), item=(30, 160, 60))
    with httpx.Client(base_url=fx_server.base_url, timeout=10) as client:
        # 1. Register, get a bearer token.
        registered = client.post(
            "/api/v1/auth/register",
            json={
                "email": "  Seller@Example.com ",
                "password": "correct horse battery",
                "selected_marketplaces": ["mercari", "ebay", "depop"],
            },
        )
        assert registered.status_code == 200, registered.text
        token = registered.json()["data"]["token"]
        auth = {"Authorization": f"Bearer {token}"}

        # 2. /me shows the address unconfirmed; product creation is gated.
        me = client.get("/api/v1/me", headers=auth).json()["data"]["user"]
        assert me["confirmed_at"] is None
        assert me["email"] == "seller@example.com"
        gated = client.post("/api/v1/products", headers=auth, json={})
        assert gated.status_code == 403
        assert gated.json() == {
            "error": {
                "code": "email_not_confirmed",
                "detail": "Confirm your email address to use this action",
                "status": 403,
            }
        }
        resent = client.post("/api/v1/auth/resend_confirmation", headers=auth)
        assert resent.status_code == 202
        assert resent.json() == {"data": {"sent": True}}
        confirm_token = outbox_token(fx_server.data_dir, "seller@example.com")
        confirmed = client.post("/api/v1/auth/confirm", json={"token": confirm_token})
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["data"]["user"]["confirmed_at"] is not None

        # 3. Create a product with two uploads.
        created = client.post(
            "/api/v1/products",
            headers=auth,
            json={
                "product": {"title": "Blue ceramic vase", "category": "Home decor"},
                "uploads": [
                    {"filename": "front.jpg", "content_type": "image/jpeg", "byte_size": len(jpeg)},
                    {"filename": "side.png", "content_type": "image/png", "byte_size": len(png)},
                ],
            },
        )
        assert created.status_code == 201, created.text
        data = created.json()["data"]
        product = data["product"]
        assert product["status"] == "uploading"
        instructions = data["upload_instructions"]
        assert [i["method"] for i in instructions] == ["PUT", "PUT"]

        # 4. Direct-upload the bytes with exactly the returned headers, finalize, poll.
        for instruction, body in zip(instructions, (jpeg, png), strict=True):
            put = httpx.put(instruction["upload_url"], content=body, headers=instruction["headers"])
            assert put.status_code in (200, 201, 204), put.text
        finalized = client.post(
            f"/api/v1/products/{product['id']}/finalize_uploads",
            headers=auth,
            json={"uploads": [{"id": i["image_id"]} for i in instructions]},
        )
        assert finalized.status_code == 200, finalized.text
        run = finalized.json()["data"]["processing_run"]
        assert run["status"] == "queued"

        done = poll_product(client, product["id"], auth)

    assert done["status"] in ("ready", "review")
    latest = done["latest_processing_run"]
    assert isinstance(latest, dict)
    assert latest["status"] == "completed"
    assert latest["step"] == "variants_generated"
    assert latest["id"] == run["id"]
    draft = done["description_draft"]
    assert isinstance(draft, dict) and draft["suggested_title"]
    research = done["price_research"]
    assert isinstance(research, dict) and research["currency"] == "USD"
    listings = done["marketplace_listings"]
    assert isinstance(listings, list)
    assert [listing["marketplace"] for listing in listings] == ["depop", "ebay", "mercari"]
    for listing in listings:
        rules = get_marketplace(listing["marketplace"]).rules  # type: ignore[union-attr]
        assert listing["generated_title"]
        assert len(listing["generated_title"]) <= rules.title_max_chars
        assert len(listing["generated_tags"]) <= rules.tags_max
        assert all("#" not in tag for tag in listing["generated_tags"])
    images = done["images"]
    assert isinstance(images, list)
    originals = [i for i in images if i["kind"] == "original"]
    variants = [i for i in images if i["kind"] == "background_removed"]
    assert len(originals) == 2 and len(variants) == 2
    assert all(i["processing_status"] == "ready" for i in images)
    assert sorted(v["position"] for v in variants) == sorted(o["position"] for o in originals)
    for variant in variants:
        assert variant["content_type"] == "image/png"
        assert variant["background_style"] == "transparent"
        fetched = httpx.get(variant["url"], timeout=10)
        assert fetched.status_code == 200
        assert fetched.content.startswith(b"\x89PNG")
