"""Marketplace videos over HTTP (spec 30 §9) with the ffmpeg slideshow renderer."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import imageio_ffmpeg
from litestar import Litestar
from litestar.testing import AsyncTestClient

from reseller_core.ports.media import RenderedVideo, VideoRenderError, VideoRequest
from reseller_core.services.processing import PROCESS_RUN_JOB
from reseller_core.services.processing.lifestyle_requests import LIFESTYLE_RUN_JOB
from reseller_core.services.processing.video_requests import VIDEO_RUN_JOB
from reseller_core.services.storage_cleanup import DELETE_OBJECTS_JOB, storage_cleanup_job_handlers
from reseller_core.testing import RecordingVideoRenderer
from reseller_entrypoints.bootstrap import Container
from tests.integration.conftest import Account, Fakes
from tests.integration.openapi_check import assert_documented
from tests.integration.test_http_lifestyle import processed_product

Client = AsyncTestClient[Litestar]


def run_jobs(fakes: Fakes, container: Container) -> None:
    async def process(args: Mapping[str, str]) -> None:
        await container.services.pipeline.process(args["run_id"])

    async def video(args: Mapping[str, str]) -> None:
        await container.services.video_runner.process(args["run_id"])

    fakes.queue.register(PROCESS_RUN_JOB, process)
    fakes.queue.register(VIDEO_RUN_JOB, video)
    cleanup = storage_cleanup_job_handlers(fakes.storage)[DELETE_OBJECTS_JOB]
    fakes.queue.register(DELETE_OBJECTS_JOB, cleanup)


def probe(data: bytes) -> tuple[dict[str, Any], int]:
    """The MP4's metadata as ffmpeg reads it, and its frame count."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "v.mp4")
        with open(path, "wb") as handle:
            handle.write(data)
        reader = imageio_ffmpeg.read_frames(path)
        meta: dict[str, Any] = next(reader)
        frames = sum(1 for _ in reader)
    return meta, frames


async def test_a_video_is_rendered_replaced_and_deleted(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    document = (await fx_client.get("/api/v1/openapi.json")).json()
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}"
    assert product["videos"] == [] and product["latest_video_generation_run"] is None

    body = {"marketplace": " depop ", "duration_seconds": 5, "aspect_ratio": "1:1"}
    queued = await fx_client.post(
        f"{path}/generate_marketplace_video", json=body, headers=fx_account.headers
    )
    assert queued.status_code == 202, queued.text
    assert_documented(document, "POST", "/api/v1/products/{id}/generate_marketplace_video", queued)
    run = queued.json()["data"]["video_generation_run"]
    assert (run["status"], run["step"], run["marketplace"]) == ("queued", "queued", "depop")
    assert (run["duration_seconds"], run["aspect_ratio"]) == (5, "1:1")
    ready = [i for i in product["images"] if i["processing_status"] == "ready"]
    assert run["source_image_ids"] and set(run["source_image_ids"]) <= {i["id"] for i in ready}
    assert queued.json()["data"]["product"]["latest_video_generation_run"] == run

    busy = await fx_client.post(
        f"{path}/generate_marketplace_video", json=body, headers=fx_account.headers
    )
    assert busy.status_code == 422
    assert busy.json()["error"]["code"] == "invalid_product_state"

    await fx_fakes.queue.run_all(raise_errors=True)
    listed = await fx_client.get(f"{path}/video_generation_runs", headers=fx_account.headers)
    assert listed.status_code == 200
    assert_documented(document, "GET", "/api/v1/products/{id}/video_generation_runs", listed)
    (done,) = listed.json()["data"]["runs"]
    assert (done["status"], done["step"], done["error_code"]) == (
        "completed",
        "video_generated",
        None,
    )
    fetched = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]["product"]
    assert fetched["latest_video_generation_run"] == done
    (video,) = fetched["videos"]
    assert video["marketplace"] == "depop" and video["video_generation_run_id"] == run["id"]
    assert video["storage_key"].endswith(f"/videos/{run['id']}-depop.mp4")
    assert video["url"] == f"https://files.example.test/{video['storage_key']}"
    assert (video["content_type"], video["width"], video["height"]) == ("video/mp4", 1080, 1080)
    data = await fx_fakes.storage.get(video["storage_key"])
    assert video["byte_size"] == len(data) == done["payload"]["byte_size"]
    meta, frames = probe(data)
    assert tuple(meta["size"]) == (1080, 1080)
    assert abs(float(meta["duration"]) - 5) < 0.2 and abs(frames / float(meta["fps"]) - 5) < 0.2
    usage = (await fx_client.get("/api/v1/me/usage", headers=fx_account.headers)).json()
    assert usage["data"]["usage"]["videos"] == 1

    again = await fx_client.post(
        f"{path}/generate_marketplace_video",
        json={"marketplace": "depop"},
        headers=fx_account.headers,
    )
    assert again.status_code == 202, again.text
    assert again.json()["data"]["video_generation_run"]["duration_seconds"] == 10
    await fx_fakes.queue.run_all(raise_errors=True)
    replaced = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]["product"]
    (current,) = replaced["videos"]  # one video per marketplace: the new one
    assert current["id"] != video["id"] and current["height"] == 1280
    assert await fx_fakes.storage.head(video["storage_key"]) is None
    runs = (await fx_client.get(f"{path}/video_generation_runs", headers=fx_account.headers)).json()
    assert [r["id"] for r in runs["data"]["runs"]][1] == run["id"]  # newest first

    deleted = await fx_client.delete(f"{path}/videos/{current['id']}", headers=fx_account.headers)
    assert deleted.status_code == 200
    assert_documented(document, "DELETE", "/api/v1/products/{id}/videos/{video_id}", deleted)
    assert deleted.json()["data"]["deleted"] is True
    assert deleted.json()["data"]["product"]["videos"] == []
    assert await fx_fakes.storage.head(current["storage_key"]) is None
    gone = await fx_client.delete(f"{path}/videos/{current['id']}", headers=fx_account.headers)
    assert gone.status_code == 404 and gone.json()["error"]["detail"] == "Video not found"


async def test_request_errors_in_the_contract_order(
    fx_client: Client,
    fx_account: Account,
    fx_other_account: Account,
    fx_fakes: Fakes,
    fx_container: Container,
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}/generate_marketplace_video"

    async def post(body: object, account: Account = fx_account) -> tuple[int, dict[str, Any]]:
        answer = await fx_client.post(path, json=body, headers=account.headers)
        return answer.status_code, answer.json().get("error", {})

    assert await post({}) == (
        422,
        {
            "code": "validation_failed",
            "detail": "Validation failed",
            "status": 422,
            "fields": {"marketplace": ["can't be blank"]},
        },
    )
    status, error = await post(
        {"marketplace": "grailed", "duration_seconds": 4, "aspect_ratio": "16:9"}
    )
    assert status == 422 and error["fields"] == {
        "marketplace": ["is invalid"],  # supported, but not video-enabled by default
        "duration_seconds": ["must be greater than or equal to 5"],
        "aspect_ratio": ["is invalid"],
    }
    status, error = await post({"marketplace": 3, "duration_seconds": 31})
    assert error["fields"] == {
        "marketplace": ["is invalid"],
        "duration_seconds": ["must be less than or equal to 30"],
    }
    status, error = await post({"marketplace": "ebay", "duration_seconds": "10"})
    assert error["fields"] == {"duration_seconds": ["is invalid"]}
    assert (await post([1]))[0] == 400
    assert (await post({"marketplace": "ebay"}, fx_other_account))[0] == 404
    runs = await fx_client.get(
        f"/api/v1/products/{product['id']}/video_generation_runs",
        headers=fx_other_account.headers,
    )
    assert runs.status_code == 404
    missing = await fx_client.delete(
        f"/api/v1/products/{product['id']}/videos/nope", headers=fx_account.headers
    )
    assert missing.status_code == 404

    draft = (
        await fx_client.post(
            "/api/v1/products", json={"product": {"title": "x"}}, headers=fx_account.headers
        )
    ).json()["data"]["product"]
    early = await fx_client.post(
        f"/api/v1/products/{draft['id']}/generate_marketplace_video",
        json={"marketplace": "nope"},
        headers=fx_account.headers,
    )
    assert early.status_code == 422  # the state is checked before the fields
    assert early.json()["error"]["code"] == "invalid_product_state"


async def test_write_gate_and_free_plan(
    fx_client: Client,
    fx_unconfirmed: Account,
    fx_account: Account,
    fx_fakes: Fakes,
    fx_container: Container,
) -> None:
    gated = await fx_client.post(
        "/api/v1/products/01JQ9A2B3C4D5E6F7G8H9J0KP1/generate_marketplace_video",
        json={"marketplace": "ebay"},
        headers=fx_unconfirmed.headers,
    )
    assert gated.status_code == 403
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    fx_fakes.clock.advance(timedelta(days=8))  # past the trial: the free plan has no videos
    refused = await fx_client.post(
        f"/api/v1/products/{product['id']}/generate_marketplace_video",
        json={"marketplace": "ebay"},
        headers=fx_account.headers,
    )
    assert refused.status_code == 402, refused.text
    assert refused.json()["error"]["code"] == "limit_exceeded"


async def test_simultaneous_requests_queue_one_run(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}/generate_marketplace_video"
    answers = await asyncio.gather(
        *(
            fx_client.post(path, json={"marketplace": "ebay"}, headers=fx_account.headers)
            for _ in range(4)
        )
    )
    assert sorted(a.status_code for a in answers) == [202, 422, 422, 422]


class BrokenRenderer:
    name = "broken"

    async def render(self, request: VideoRequest) -> RenderedVideo:
        raise VideoRenderError("the encoder crashed")


async def test_a_failed_render_fails_the_run_and_counts_nothing(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_jobs(fx_fakes, fx_container)
    fx_container.services.video_runner._renderer = BrokenRenderer()
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}"
    await fx_client.post(
        f"{path}/generate_marketplace_video",
        json={"marketplace": "ebay"},
        headers=fx_account.headers,
    )
    await fx_fakes.queue.run_all(raise_errors=True)
    fetched = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]["product"]
    run = fetched["latest_video_generation_run"]
    assert (run["status"], run["step"], run["error_code"]) == (
        "failed",
        "video_failed",
        "video_render_failed",
    )
    assert run["payload"]["error_detail"] == "the encoder crashed"
    assert fetched["videos"] == []
    usage = (await fx_client.get("/api/v1/me/usage", headers=fx_account.headers)).json()
    assert usage["data"]["usage"]["videos"] == 0
    retry = await fx_client.post(
        f"{path}/generate_marketplace_video",
        json={"marketplace": "ebay"},
        headers=fx_account.headers,
    )
    assert retry.status_code == 202  # a failed run is not active


async def test_a_run_left_by_a_dead_worker_is_swept_and_completed(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}"
    queued = await fx_client.post(
        f"{path}/generate_marketplace_video",
        json={"marketplace": "ebay", "duration_seconds": 5},
        headers=fx_account.headers,
    )
    run_id = queued.json()["data"]["video_generation_run"]["id"]
    fx_fakes.queue.pending.clear()  # the enqueue was lost
    now = fx_fakes.clock.now()
    async with fx_container.deps.uow() as uow:  # a worker claimed it, then died
        assert await uow.video_runs.claim(run_id, now, now) is not None
        await uow.commit()
    assert await fx_container.services.sweeper.sweep(stale_before=now + timedelta(seconds=1)) == 1
    await fx_fakes.queue.run_all(raise_errors=True)
    fetched = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]["product"]
    assert fetched["latest_video_generation_run"]["status"] == "completed"
    assert [v["video_generation_run_id"] for v in fetched["videos"]] == [run_id]


async def test_deleting_the_product_deletes_its_videos(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}"
    await fx_client.post(
        f"{path}/generate_marketplace_video",
        json={"marketplace": "ebay", "duration_seconds": 5},
        headers=fx_account.headers,
    )
    await fx_fakes.queue.run_all(raise_errors=True)
    fetched = (await fx_client.get(path, headers=fx_account.headers)).json()["data"]["product"]
    (video,) = fetched["videos"]
    assert (await fx_client.delete(path, headers=fx_account.headers)).status_code == 200
    await fx_fakes.queue.run_all(raise_errors=True)
    assert await fx_fakes.storage.head(video["storage_key"]) is None


async def test_a_keyed_retry_replays_the_first_answer(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    path = f"/api/v1/products/{product['id']}"
    headers = {**fx_account.headers, "Idempotency-Key": "video-retry-1"}
    body = {"marketplace": "poshmark"}
    first = await fx_client.post(f"{path}/generate_marketplace_video", json=body, headers=headers)
    again = await fx_client.post(f"{path}/generate_marketplace_video", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.content == first.content
    runs = await fx_client.get(f"{path}/video_generation_runs", headers=fx_account.headers)
    assert len(runs.json()["data"]["runs"]) == 1


async def test_renders_beyond_the_plan_consume_add_on_credits(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    """Decision Q-A7, for videos and lifestyle images alike: past the trial the free plan
    allows none, so each unit is paid with a credit, in the transaction that records it."""
    run_jobs(fx_fakes, fx_container)

    async def lifestyle(args: Mapping[str, str]) -> None:
        await fx_container.services.lifestyle_runner.process(args["run_id"])

    fx_fakes.queue.register(LIFESTYLE_RUN_JOB, lifestyle)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    fx_fakes.clock.advance(timedelta(days=8))
    plans = fx_container.services.plans
    await plans.add_credits(fx_account.email, "videos", 2)
    await plans.add_credits(fx_account.email, "lifestyle", 4)
    path = f"/api/v1/products/{product['id']}"
    queued = await fx_client.post(
        f"{path}/generate_marketplace_video",
        json={"marketplace": "ebay", "duration_seconds": 5},
        headers=fx_account.headers,
    )
    assert queued.status_code == 202, queued.text
    scenes = await fx_client.post(f"{path}/generate_lifestyle_images", headers=fx_account.headers)
    assert scenes.status_code == 202, scenes.text
    await fx_fakes.queue.run_all(raise_errors=True)
    me = (await fx_client.get("/api/v1/me/usage", headers=fx_account.headers)).json()["data"]
    assert (me["usage"]["videos"], me["usage"]["lifestyle"]) == (1, 3)
    assert me["addon_credits"]["videos"] == 1 and me["addon_credits"]["lifestyle"] == 1


async def test_a_product_deleted_while_rendering_leaves_no_file(
    fx_client: Client, fx_account: Account, fx_fakes: Fakes, fx_container: Container
) -> None:
    run_jobs(fx_fakes, fx_container)
    product = await processed_product(fx_client, fx_account, fx_fakes)
    rendered = RecordingVideoRenderer()

    class DeletingRenderer:
        name = "deleting"

        async def render(self, request: VideoRequest) -> RenderedVideo:
            async with fx_container.deps.uow() as uow:  # the seller deletes it meanwhile
                await uow.products.delete(product["id"])
                await uow.commit()
            return await rendered.render(request)

    fx_container.services.video_runner._renderer = DeletingRenderer()
    queued = await fx_client.post(
        f"/api/v1/products/{product['id']}/generate_marketplace_video",
        json={"marketplace": "ebay"},
        headers=fx_account.headers,
    )
    run_id = queued.json()["data"]["video_generation_run"]["id"]
    await fx_fakes.queue.run_all(raise_errors=True)
    assert len(rendered.requests) == 1
    key = f"users/{fx_account.user_id}/products/{product['id']}/videos/{run_id}-ebay.mp4"
    assert await fx_fakes.storage.head(key) is None
    async with fx_container.deps.uow() as uow:
        now = fx_fakes.clock.now()
        counts = await uow.usage.monthly_counts(
            fx_account.user_id, now - timedelta(days=1), now + timedelta(days=1)
        )
    assert counts["ai_drafts"] == 1 and "videos" not in counts  # nothing rendered is counted
