"""Plans and usage over HTTP: ``GET /me/usage`` and the 402 where processing is queued.

The runs are real (the offline provider through the pipeline), so the usage the limits
count is the usage the stages record, and the add-on credits are consumed by the same
unit of work that records the draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.services.processing import PROCESS_RUN_JOB
from reseller_entrypoints.bootstrap import Container
from tests.images import product_photo
from tests.integration.conftest import Account, Fakes
from tests.integration.openapi_check import assert_documented

Client = AsyncTestClient[Litestar]
PHOTO = product_photo("JPEG")
INTENT = {"filename": "shoe.jpg", "content_type": "image/jpeg", "byte_size": len(PHOTO)}


def run_pipeline_jobs(fakes: Fakes, container: Container) -> None:
    async def process(args: Mapping[str, str]) -> None:
        await container.services.pipeline.process(args["run_id"])

    fakes.queue.register(PROCESS_RUN_JOB, process)


async def uploaded_product(client: Client, account: Account, fakes: Fakes) -> tuple[str, str]:
    """A product whose one photo is uploaded but not finalized: (product id, image id)."""
    created = await client.post(
        "/api/v1/products",
        json={"product": {"title": "Red ball", "brand": "Acme"}, "uploads": [INTENT]},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    (instruction,) = created.json()["data"]["upload_instructions"]
    fakes.storage.put_object_directly(instruction["storage_key"], PHOTO, "image/jpeg")
    return created.json()["data"]["product"]["id"], instruction["image_id"]


async def finalize(client: Client, account: Account, product_id: str, image_id: str) -> Any:
    return await client.post(
        f"/api/v1/products/{product_id}/finalize_uploads",
        json={"uploads": [{"id": image_id}]},
        headers=account.headers,
    )


async def usage(client: Client, account: Account) -> dict[str, Any]:
    response = await client.get("/api/v1/me/usage", headers=account.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_usage_of_a_new_user_in_the_trial(fx_client: Client, fx_account: Account) -> None:
    response = await fx_client.get("/api/v1/me/usage", headers=fx_account.headers)
    assert response.status_code == 200
    document = (await fx_client.get("/api/v1/openapi.json")).json()
    assert_documented(document, "GET", "/api/v1/me/usage", response)
    assert response.json() == {
        "data": {
            "usage": {
                "ai_drafts": 0,
                "background_removals": 0,
                "lifestyle": 0,
                "price_research": 0,
                "videos": 0,
            },
            "limits": {
                "ai_drafts": 50,
                "background_removals": 150,
                "lifestyle": 150,
                "price_research": 50,
                "videos": 20,
            },
            "addon_credits": {},
            "plan": "free",
            "limits_plan": "starter",
            "period": {"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"},
        }
    }
    unauthenticated = await fx_client.get("/api/v1/me/usage")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthorized"


async def test_free_plan_exhausts_ai_drafts_then_credits_let_one_more_through(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_pipeline_jobs(fx_fakes, fx_container)
    plans = fx_container.services.plans
    await plans.set_plan(fx_account.email, "free")
    for _ in range(5):
        finalized = await finalize(
            fx_client, fx_account, *await uploaded_product(fx_client, fx_account, fx_fakes)
        )
        assert finalized.status_code == 200, finalized.text
        await fx_fakes.queue.run_all(raise_errors=True)
    spent = await usage(fx_client, fx_account)
    assert spent["usage"] == {
        "ai_drafts": 5,
        "background_removals": 5,
        "lifestyle": 0,
        "price_research": 5,
        "videos": 0,
    }
    assert (spent["plan"], spent["limits_plan"]) == ("free", "free")
    assert spent["limits"]["ai_drafts"] == 5

    product_id, image_id = await uploaded_product(fx_client, fx_account, fx_fakes)
    refused = await finalize(fx_client, fx_account, product_id, image_id)
    assert refused.status_code == 402
    assert refused.json() == {
        "error": {
            "code": "limit_exceeded",
            "detail": "Monthly plan limit reached for ai_drafts",
            "status": 402,
            "operation": "ai_drafts",
            "used": 5,
            "limit": 5,
            "upgrade_url": "https://reseller.test/pricing",
        }
    }
    document = (await fx_client.get("/api/v1/openapi.json")).json()
    assert_documented(document, "POST", "/api/v1/products/{id}/finalize_uploads", refused)
    product = await fx_client.get(f"/api/v1/products/{product_id}", headers=fx_account.headers)
    assert product.json()["data"]["product"]["status"] == "uploading"
    assert product.json()["data"]["product"]["latest_processing_run"] is None

    # The run consumes the two buckets whose allowance is used up: both need a credit.
    await plans.add_credits(fx_account.email, "ai_drafts", 1)
    still = await finalize(fx_client, fx_account, product_id, image_id)
    assert still.status_code == 402
    assert (still.json()["error"]["operation"], still.json()["error"]["used"]) == (
        "price_research",
        5,
    )
    await plans.add_credits(fx_account.email, "price_research", 1)
    assert (await usage(fx_client, fx_account))["addon_credits"] == {
        "ai_drafts": 1,
        "price_research": 1,
    }
    passed = await finalize(fx_client, fx_account, product_id, image_id)
    assert passed.status_code == 200, passed.text
    assert passed.json()["data"]["processing_run"]["status"] == "queued"
    # Queued, the run already holds the credits: another finalize is refused meanwhile.
    other_id, other_image = await uploaded_product(fx_client, fx_account, fx_fakes)
    held = await finalize(fx_client, fx_account, other_id, other_image)
    assert held.status_code == 402
    assert (held.json()["error"]["operation"], held.json()["error"]["used"]) == ("ai_drafts", 6)

    await fx_fakes.queue.run_all(raise_errors=True)
    after = await usage(fx_client, fx_account)
    assert after["usage"]["ai_drafts"] == 6 and after["usage"]["price_research"] == 6
    assert after["addon_credits"] == {"ai_drafts": 0, "price_research": 0}
    again = await finalize(fx_client, fx_account, other_id, other_image)
    assert again.status_code == 402
    assert (again.json()["error"]["used"], again.json()["error"]["limit"]) == (6, 5)


async def test_reprocess_is_refused_at_the_limit(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_pipeline_jobs(fx_fakes, fx_container)
    await fx_container.services.plans.set_plan(fx_account.email, "free")
    product_id, image_id = await uploaded_product(fx_client, fx_account, fx_fakes)
    assert (await finalize(fx_client, fx_account, product_id, image_id)).status_code == 200
    await fx_fakes.queue.run_all(raise_errors=True)
    for _ in range(4):
        response = await fx_client.post(
            f"/api/v1/products/{product_id}/reprocess", headers=fx_account.headers
        )
        assert response.status_code == 202, response.text
        await fx_fakes.queue.run_all(raise_errors=True)
    refused = await fx_client.post(
        f"/api/v1/products/{product_id}/reprocess", headers=fx_account.headers
    )
    assert refused.status_code == 402
    assert refused.json()["error"]["operation"] == "ai_drafts"
    assert (refused.json()["error"]["used"], refused.json()["error"]["limit"]) == (5, 5)


async def test_offline_runs_never_reach_a_daily_ceiling(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    """Embedded defaults, every marketplace: each run makes 15 offline AI calls, so 14
    products would pass the 200-call ceiling if those calls counted."""
    run_pipeline_jobs(fx_fakes, fx_container)
    catalogue = [mid for mid, _ in fx_container.services.accounts.supported_marketplaces()]
    assert len(catalogue) == 12
    await fx_client.patch(
        "/api/v1/me", json={"selected_marketplaces": catalogue}, headers=fx_account.headers
    )
    for _ in range(14):
        finalized = await finalize(
            fx_client, fx_account, *await uploaded_product(fx_client, fx_account, fx_fakes)
        )
        assert finalized.status_code == 200, finalized.text
        await fx_fakes.queue.run_all(raise_errors=True)
    assert fx_fakes.database.db.snapshot().provider_calls == {}
    assert (await usage(fx_client, fx_account))["usage"]["ai_drafts"] == 14
