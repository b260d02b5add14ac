"""Lifestyle media over HTTP (spec 30 §8.5-8.8) with the offline scene generator."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image

from reseller_core.services.processing import PROCESS_RUN_JOB
from reseller_core.services.processing.lifestyle_requests import LIFESTYLE_RUN_JOB
from reseller_entrypoints.bootstrap import Container
from tests.images import product_photo
from tests.integration.conftest import Account, Fakes
from tests.integration.openapi_check import assert_documented

Client = AsyncTestClient[Litestar]
PHOTO = product_photo("JPEG")


def run_jobs(fakes: Fakes, container: Container) -> None:
    async def process(args: Mapping[str, str]) -> None:
        await container.services.pipeline.process(args["run_id"])

    async def lifestyle(args: Mapping[str, str]) -> None:
        await container.services.lifestyle_runner.process(args["run_id"])

    fakes.queue.register(PROCESS_RUN_JOB, process)
    fakes.queue.register(LIFESTYLE_RUN_JOB, lifestyle)


async def processed_product(
    client: Client, account: Account, fakes: Fakes, title: str = "Canvas handbag"
) -> dict[str, Any]:
    created = await client.post(
        "/api/v1/products",
        json={
            "product": {"title": title},
            "uploads": [
                {"filename": "a.jpg", "content_type": "image/jpeg", "byte_size": len(PHOTO)}
            ],
        },
        headers=account.headers,
    )
    product = created.json()["data"]["product"]
    (instruction,) = created.json()["data"]["upload_instructions"]
    fakes.storage.put_object_directly(instruction["storage_key"], PHOTO, "image/jpeg")
    finalized = await client.post(
        f"/api/v1/products/{product['id']}/finalize_uploads",
        json={"uploads": [{"id": instruction["image_id"]}]},
        headers=account.headers,
    )
    assert finalized.status_code == 200, finalized.text
    await fakes.queue.run_all(raise_errors=True)
    fetched = await client.get(f"/api/v1/products/{product['id']}", headers=account.headers)
    settled: dict[str, Any] = fetched.json()["data"]["product"]
    assert settled["status"] in ("ready", "review")
    return settled


async def test_lifestyle_run_generates_decodable_scenes_then_approve_and_delete(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    document = (await fx_client.get("/api/v1/openapi.json")).json()
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}"

    queued = await fx_client.post(f"{path}/generate_lifestyle_images", headers=fx_account.headers)
    assert queued.status_code == 202, queued.text
    assert_documented(document, "POST", "/api/v1/products/{id}/generate_lifestyle_images", queued)
    run = queued.json()["data"]["lifestyle_generation_run"]
    assert (run["status"], run["step"], run["scene_family"]) == ("queued", "queued", "apparel")
    assert run["requested_count"] == 3 and run["completed_count"] == 0
    assert queued.json()["data"]["product"]["latest_lifestyle_generation_run"] == run

    busy = await fx_client.post(f"{path}/generate_lifestyle_images", headers=fx_account.headers)
    assert busy.status_code == 422
    assert busy.json()["error"]["code"] == "invalid_product_state"

    await fx_fakes.queue.run_all(raise_errors=True)
    listed = await fx_client.get(f"{path}/lifestyle_generation_runs", headers=fx_account.headers)
    assert listed.status_code == 200
    assert_documented(document, "GET", "/api/v1/products/{id}/lifestyle_generation_runs", listed)
    (done,) = listed.json()["data"]["runs"]
    assert (done["status"], done["step"], done["completed_count"]) == (
        "completed",
        "lifestyle_generated",
        3,
    )
    assert done["model"] == "offline-scene-v1" and done["error_code"] is None
    assert [r["scene_key"] for r in done["payload"]["scene_results"]] == [
        "model_studio",
        "casual_lifestyle",
        "styled_detail",
    ]

    fetched = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]["product"]
    assert fetched["latest_lifestyle_generation_run"] == done
    usage = (await fx_client.get("/api/v1/me/usage", headers=fx_account.headers)).json()
    assert usage["data"]["usage"]["lifestyle"] == 3  # one unit per generated image
    generated = [i for i in fetched["images"] if i["kind"] == "lifestyle_generated"]
    assert [(i["scene_key"], i["variant_index"]) for i in generated] == [
        ("model_studio", 1),
        ("casual_lifestyle", 2),
        ("styled_detail", 3),
    ]
    for image in generated:
        assert image["seller_approved"] is False and image["background_style"] == "lifestyle"
        assert image["lifestyle_generation_run_id"] == run["id"]
        assert f"/generated/{run['id']}-{image['scene_key']}-" in image["storage_key"]
        data = await fx_fakes.storage.get(image["storage_key"])
        decoded = Image.open(io.BytesIO(data))
        decoded.load()
        assert decoded.size == (1024, 1280) == (image["width"], image["height"])

    first = generated[0]["id"]
    approved = await fx_client.post(
        f"{path}/generated_images/{first}/approve", headers=fx_account.headers
    )
    assert approved.status_code == 200
    assert_documented(
        document, "POST", "/api/v1/products/{id}/generated_images/{image_id}/approve", approved
    )
    image = next(i for i in approved.json()["data"]["product"]["images"] if i["id"] == first)
    assert image["seller_approved"] is True and image["approved_at"] is not None

    original = next(i for i in fetched["images"] if i["kind"] == "original")
    for target in (original["id"], "nope"):
        missing = await fx_client.post(
            f"{path}/generated_images/{target}/approve", headers=fx_account.headers
        )
        assert missing.status_code == 404
        assert missing.json()["error"]["detail"] == "Generated image not found"

    deleted = await fx_client.delete(f"{path}/generated_images/{first}", headers=fx_account.headers)
    assert deleted.status_code == 200
    assert_documented(
        document, "DELETE", "/api/v1/products/{id}/generated_images/{image_id}", deleted
    )
    assert deleted.json()["data"]["deleted"] is True
    assert first not in {i["id"] for i in deleted.json()["data"]["product"]["images"]}
    assert await fx_fakes.storage.head(generated[0]["storage_key"]) is None


async def test_scene_key_state_and_ownership_errors(
    fx_client: Client,
    fx_account: Account,
    fx_other_account: Account,
    fx_fakes: Fakes,
    fx_container: Container,
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes, title="Oak coffee table")
    path = f"/api/v1/products/{product['id']}/generate_lifestyle_images"

    wrong = await fx_client.post(
        path, json={"scene_key": "model_studio"}, headers=fx_account.headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"] == {"scene_key": ["is invalid"]}
    typed = await fx_client.post(path, json={"scene_key": 3}, headers=fx_account.headers)
    assert typed.status_code == 422 and typed.json()["error"]["fields"] == {
        "scene_key": ["is invalid"]
    }
    not_object = await fx_client.post(path, json=[1], headers=fx_account.headers)
    assert not_object.status_code == 400

    foreign = await fx_client.post(path, headers=fx_other_account.headers)
    assert foreign.status_code == 404
    runs = await fx_client.get(
        f"/api/v1/products/{product['id']}/lifestyle_generation_runs",
        headers=fx_other_account.headers,
    )
    assert runs.status_code == 404

    one = await fx_client.post(
        path, json={"scene_key": "alternate_room"}, headers=fx_account.headers
    )
    assert one.status_code == 202
    assert one.json()["data"]["lifestyle_generation_run"]["requested_count"] == 1

    draft = (
        await fx_client.post(
            "/api/v1/products", json={"product": {"title": "x"}}, headers=fx_account.headers
        )
    ).json()["data"]["product"]
    early = await fx_client.post(
        f"/api/v1/products/{draft['id']}/generate_lifestyle_images", headers=fx_account.headers
    )
    assert early.status_code == 422
    assert early.json()["error"]["code"] == "invalid_product_state"


async def test_write_gate(fx_client: Client, fx_unconfirmed: Account) -> None:
    gated = await fx_client.post(
        "/api/v1/products/01JQ9A2B3C4D5E6F7G8H9J0KP1/generate_lifestyle_images",
        headers=fx_unconfirmed.headers,
    )
    assert gated.status_code == 403


async def test_simultaneous_requests_queue_one_run(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}/generate_lifestyle_images"
    answers = await asyncio.gather(
        *(fx_client.post(path, headers=fx_account.headers) for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [202, 422, 422, 422, 422]
    listed = await fx_client.get(
        f"/api/v1/products/{product['id']}/lifestyle_generation_runs", headers=fx_account.headers
    )
    assert len(listed.json()["data"]["runs"]) == 1


async def test_a_run_left_by_a_dead_worker_is_swept_and_completed(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}"
    queued = await fx_client.post(f"{path}/generate_lifestyle_images", headers=fx_account.headers)
    run_id = queued.json()["data"]["lifestyle_generation_run"]["id"]
    fx_fakes.queue.pending.clear()  # the enqueue was lost
    now = fx_fakes.clock.now()
    async with fx_container.deps.uow() as uow:  # a worker claimed it, then died
        assert await uow.lifestyle_runs.claim(run_id, now, now) is not None
        await uow.commit()

    assert await fx_container.services.sweeper.sweep(stale_before=now + timedelta(seconds=1)) == 1
    await fx_fakes.queue.run_all(raise_errors=True)
    listed = await fx_client.get(f"{path}/lifestyle_generation_runs", headers=fx_account.headers)
    (run,) = listed.json()["data"]["runs"]
    assert (run["id"], run["status"], run["completed_count"]) == (run_id, "completed", 3)


async def test_a_worker_killed_mid_run_leaves_each_image_with_its_usage_unit(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    """Decision Q-A6: the unit is written with the image; a resumed run counts no scene twice."""
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}"
    runner = fx_container.services.lifestyle_runner
    generator = runner._generator
    assert generator is not None
    real = generator.generate_scene
    calls: list[str] = []

    async def dies_on_the_second_scene(request: Any) -> Any:
        calls.append(request.scene_key)
        if len(calls) == 2:
            raise asyncio.CancelledError  # the worker process is killed mid-scene
        return await real(request)

    generator.generate_scene = dies_on_the_second_scene  # type: ignore[method-assign]
    queued = await fx_client.post(f"{path}/generate_lifestyle_images", headers=fx_account.headers)
    run_id = queued.json()["data"]["lifestyle_generation_run"]["id"]
    fx_fakes.queue.pending.clear()
    with contextlib.suppress(asyncio.CancelledError):
        await runner.process(run_id)

    async def counts() -> tuple[int, int]:
        usage = (await fx_client.get("/api/v1/me/usage", headers=fx_account.headers)).json()
        fetched = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]
        images = [i for i in fetched["product"]["images"] if i["kind"] == "lifestyle_generated"]
        return usage["data"]["usage"]["lifestyle"], len(images)

    assert await counts() == (1, 1)
    generator.generate_scene = real  # type: ignore[method-assign]
    later = fx_fakes.clock.now() + timedelta(hours=1)
    assert await fx_container.services.sweeper.sweep(stale_before=later) == 1
    await fx_fakes.queue.run_all(raise_errors=True)
    assert await counts() == (3, 3)
