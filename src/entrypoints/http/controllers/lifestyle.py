"""Lifestyle media (spec 30 §8.5-8.8): queue scene generation, list runs, approve, delete.

Generation is write-gated and metered (``lifestyle``); the run is created at once and
worked by a queued job, so the answer is 202 with the ``queued`` run. Path ids are plain
strings: a malformed id is a 404 decided by the service, like a foreign one.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from reseller_core.commands.media import GeneratedImageRef, GenerateLifestyle
from reseller_core.services.processing.lifestyle_requests import LifestyleRequests
from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.media_schemas import (
    LifestyleGenerationData,
    LifestyleGenerationResponse,
    LifestyleRunsData,
    LifestyleRunsResponse,
    ProductDeletedData,
    ProductDeletedResponse,
    lifestyle_run_body,
)
from reseller_entrypoints.http.parsing.media import parse_generate_lifestyle
from reseller_entrypoints.http.presenters import PublicUrl, product_body, product_response
from reseller_entrypoints.http.route_table import BodyDoc, OperationDoc, api_doc
from reseller_entrypoints.http.schemas import ProductResponse

LIFESTYLE_BODY: Final = BodyDoc(
    description=(
        "Optional. Without `scene_key` every scene of the product's scene family is "
        "generated (3); with it only that scene (it must belong to the family)."
    ),
    example={"scene_key": "casual_lifestyle"},
    command=GenerateLifestyle,
    from_path=("product_id",),
    required=False,
)


def _lifestyle(state: State) -> LifestyleRequests:
    return container_from(state).services.lifestyle


class LifestyleController(Controller):
    path = "/api/v1/products"
    tags = ["Lifestyle media"]
    dependencies = AUTH_DEPENDENCY

    @post(
        "/{id:str}/generate_lifestyle_images",
        status_code=202,
        operation_id="postApiV1ProductsByIdGenerateLifestyleImages",
        summary="Generate lifestyle images",
        description=(
            "Queues AI scene images of the product (spec 30 §8): one image per scene, each "
            "unapproved until the seller approves it. 422 `invalid_product_state` unless the "
            "product is in review/ready/sold/archived, has an eligible source image and no "
            "lifestyle run is queued or running."
        ),
        opt=api_doc(
            OperationDoc(
                protected=True,
                write_gated=True,
                metered=True,
                body=LIFESTYLE_BODY,
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
    ) -> LifestyleGenerationResponse:
        command, problems = parse_generate_lifestyle(id, await read_json(request))
        result = await _lifestyle(state).generate(auth.user, command, problems)
        return LifestyleGenerationResponse(
            data=LifestyleGenerationData(
                product=product_body(result.view, public_url),
                lifestyle_generation_run=lifestyle_run_body(result.run),
            )
        )

    @get(
        "/{id:str}/lifestyle_generation_runs",
        operation_id="getApiV1ProductsByIdLifestyleGenerationRuns",
        summary="List lifestyle generation runs",
        description="The product's lifestyle runs, newest first.",
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def runs(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> LifestyleRunsResponse:
        runs = await _lifestyle(state).runs(auth.user, id)
        return LifestyleRunsResponse(
            data=LifestyleRunsData(runs=[lifestyle_run_body(run) for run in runs])
        )

    @post(
        "/{id:str}/generated_images/{image_id:str}/approve",
        status_code=200,
        operation_id="postApiV1ProductsByIdGeneratedImagesByImageIdApprove",
        summary="Approve a generated image",
        description=(
            "Marks a `lifestyle_generated` image as approved by the seller (approved images "
            "enter the public gallery fallback). Approving again keeps `approved_at`."
        ),
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def approve(
        self,
        id: FromPath[str],
        image_id: FromPath[str],
        state: State,
        auth: NamedDependency[AuthContext],
        public_url: NamedDependency[PublicUrl],
    ) -> ProductResponse:
        ref = GeneratedImageRef(product_id=id, image_id=image_id)
        return product_response(await _lifestyle(state).approve(auth.user, ref), public_url)

    @delete(
        "/{id:str}/generated_images/{image_id:str}",
        status_code=200,
        operation_id="deleteApiV1ProductsByIdGeneratedImagesByImageId",
        summary="Delete a generated image",
        description="Deletes a `lifestyle_generated` image; its stored file is removed afterwards.",
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def delete_generated(
        self,
        id: FromPath[str],
        image_id: FromPath[str],
        state: State,
        auth: NamedDependency[AuthContext],
        public_url: NamedDependency[PublicUrl],
    ) -> ProductDeletedResponse:
        ref = GeneratedImageRef(product_id=id, image_id=image_id)
        view = await _lifestyle(state).delete(auth.user, ref)
        return ProductDeletedResponse(
            data=ProductDeletedData(product=product_body(view, public_url), deleted=True)
        )
