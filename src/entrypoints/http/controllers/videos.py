"""Marketplace videos (spec 30 §9): queue a render, list runs, delete a video.

Generation is write-gated and metered (``videos``); the run is created at once and worked
by a queued job, so the answer is 202 with the ``queued`` run. Path ids are plain strings:
a malformed id is a 404 decided by the service, like a foreign one.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from reseller_core.commands.media import GenerateVideo, VideoRef
from reseller_core.domain import videos
from reseller_core.services.processing.video_requests import VideoRequests
from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.media_schemas import (
    ProductDeletedData,
    ProductDeletedResponse,
    VideoGenerationData,
    VideoGenerationResponse,
    VideoRunsData,
    VideoRunsResponse,
)
from reseller_entrypoints.http.parsing.media import parse_generate_video
from reseller_entrypoints.http.presenters import PublicUrl, product_body, video_run_body
from reseller_entrypoints.http.route_table import BodyDoc, OperationDoc, api_doc

VIDEO_BODY: Final = BodyDoc(
    description=(
        "`marketplace` (required) names a supported, video-enabled marketplace "
        "(`RESELLER_VIDEO_MARKETPLACES`, by default "
        + ", ".join(videos.VIDEO_MARKETPLACES)
        + "). `duration_seconds` (5 to 30, default 10) and `aspect_ratio` (`9:16`, `1:1` or "
        "`4:5`, default `9:16`) are optional."
    ),
    example={"marketplace": "depop", "duration_seconds": 10, "aspect_ratio": "9:16"},
    command=GenerateVideo,
    from_path=("product_id",),
    overrides={
        "marketplace": {
            "type": "string",
            "description": "A supported, video-enabled marketplace id (trimmed).",
        },
        "duration_seconds": {
            "description": "Seconds, 5 to 30; null or absent: 10.",
            "anyOf": [
                {
                    "type": "integer",
                    "minimum": videos.MIN_DURATION_S,
                    "maximum": videos.MAX_DURATION_S,
                },
                {"type": "null"},
            ],
        },
        "aspect_ratio": {
            "description": "The frame's aspect ratio; null or absent: `9:16`.",
            "anyOf": [{"type": "string", "enum": list(videos.ASPECT_RATIOS)}, {"type": "null"}],
        },
    },
)


def _videos(state: State) -> VideoRequests:
    return container_from(state).services.videos


class VideoController(Controller):
    path = "/api/v1/products"
    tags = ["Marketplace videos"]
    dependencies = AUTH_DEPENDENCY

    @post(
        "/{id:str}/generate_marketplace_video",
        status_code=202,
        operation_id="postApiV1ProductsByIdGenerateMarketplaceVideo",
        summary="Generate a marketplace video",
        description=(
            "Queues a short silent MP4 slideshow of the product's gallery images for one "
            "marketplace (spec 30 §9); a finished render replaces that marketplace's video. "
            "422 `invalid_product_state` unless the product is in review/ready/sold/archived, "
            "has a ready image and no video run is queued or running."
        ),
        opt=api_doc(
            OperationDoc(
                protected=True,
                write_gated=True,
                metered=True,
                body=VIDEO_BODY,
                validates=True,
                state_errors=True,
            )
        ),
    )
    async def generate(
        self,
        id: FromPath[str],
        request: Request[Any, Any, Any],
        state: State,
        auth: NamedDependency[AuthContext],
        public_url: NamedDependency[PublicUrl],
    ) -> VideoGenerationResponse:
        command, problems = parse_generate_video(id, await read_json(request))
        result = await _videos(state).generate(auth.user, command, problems)
        return VideoGenerationResponse(
            data=VideoGenerationData(
                product=product_body(result.view, public_url),
                video_generation_run=video_run_body(result.run),
            )
        )

    @get(
        "/{id:str}/video_generation_runs",
        operation_id="getApiV1ProductsByIdVideoGenerationRuns",
        summary="List video generation runs",
        description="The product's video runs, newest first.",
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def runs(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> VideoRunsResponse:
        runs = await _videos(state).runs(auth.user, id)
        return VideoRunsResponse(data=VideoRunsData(runs=[video_run_body(run) for run in runs]))

    @delete(
        "/{id:str}/videos/{video_id:str}",
        status_code=200,
        operation_id="deleteApiV1ProductsByIdVideosByVideoId",
        summary="Delete a marketplace video",
        description="Deletes one of the product's videos (any status); its file is removed after.",
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def delete_video(
        self,
        id: FromPath[str],
        video_id: FromPath[str],
        state: State,
        auth: NamedDependency[AuthContext],
        public_url: NamedDependency[PublicUrl],
    ) -> ProductDeletedResponse:
        view = await _videos(state).delete(auth.user, VideoRef(product_id=id, video_id=video_id))
        return ProductDeletedResponse(
            data=ProductDeletedData(product=product_body(view, public_url), deleted=True)
        )
