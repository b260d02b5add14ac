"""Image management (spec 30 §4.1-4.3): delete, storefront flags, storefront order.

Not write-gated and not metered. Path ids are plain strings: a malformed id is a 404
decided by the service, like a foreign or unknown one.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, delete, patch, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from reseller_core.commands.images import ImageRef
from reseller_core.services.product_images import ProductImageService
from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.image_schemas import (
    ImageStorefrontRequestBody,
    StorefrontOrderRequestBody,
)
from reseller_entrypoints.http.media_schemas import ProductDeletedData, ProductDeletedResponse
from reseller_entrypoints.http.parsing.images import parse_image_storefront, parse_storefront_order
from reseller_entrypoints.http.presenters import PublicUrl, product_body, product_response
from reseller_entrypoints.http.route_table import BodyDoc, OperationDoc, api_doc
from reseller_entrypoints.http.schemas import ProductResponse

STOREFRONT_BODY: Final = BodyDoc(
    description=(
        "Top level, both optional: `storefront_visible` and `storefront_position` (null "
        "clears it). Neither present changes nothing."
    ),
    example={"storefront_visible": True, "storefront_position": 1},
    command=ImageStorefrontRequestBody,
)
ORDER_BODY: Final = BodyDoc(
    description=(
        "`image_ids` of this product, each once: they get `storefront_position` 1..N in "
        "list order; visibility and unlisted images are unchanged."
    ),
    example={"image_ids": ["01JQ9A2B3C4D5E6F7G8H9J0KP1", "01JQ9A2B3C4D5E6F7G8H9J0KP2"]},
    command=StorefrontOrderRequestBody,
)


def _images(state: State) -> ProductImageService:
    return container_from(state).services.images


class ProductImagesController(Controller):
    path = "/api/v1/products"
    tags = ["Product images"]
    dependencies = AUTH_DEPENDENCY

    @put(
        "/{id:str}/images/storefront_order",
        status_code=200,
        operation_id="putApiV1ProductsByIdImagesStorefrontOrder",
        summary="Order the storefront gallery",
        description="Assigns `storefront_position` 1..N in one transaction (spec 30 §4.3).",
        opt=api_doc(OperationDoc(protected=True, body=ORDER_BODY, validates=True)),
    )
    async def order(
        self,
        id: FromPath[str],
        request: Request[Any, Any, Any],
        state: State,
        auth: NamedDependency[AuthContext],
        public_url: NamedDependency[PublicUrl],
    ) -> ProductResponse:
        command, problems = parse_storefront_order(id, await read_json(request))
        view = await _images(state).order_storefront(auth.user, command, problems)
        return product_response(view, public_url)

    @delete(
        "/{id:str}/images/{image_id:str}",
        status_code=200,
        operation_id="deleteApiV1ProductsByIdImagesByImageId",
        summary="Delete a product image",
        description=(
            "Deletes the image; an original takes with it its background-removed variants "
            "and the generated images made from it, and a product left with no original "
            "becomes `draft`. Stored files are removed in the background. 422 "
            "`invalid_product_state` unless the product is in draft/review/ready."
        ),
        opt=api_doc(OperationDoc(protected=True, state_errors=True)),
    )
    async def delete_image(
        self,
        id: FromPath[str],
        image_id: FromPath[str],
        state: State,
        auth: NamedDependency[AuthContext],
        public_url: NamedDependency[PublicUrl],
    ) -> ProductDeletedResponse:
        view = await _images(state).delete(auth.user, ImageRef(product_id=id, image_id=image_id))
        return ProductDeletedResponse(
            data=ProductDeletedData(product=product_body(view, public_url), deleted=True)
        )

    @patch(
        "/{id:str}/images/{image_id:str}/storefront",
        status_code=200,
        operation_id="patchApiV1ProductsByIdImagesByImageIdStorefront",
        summary="Set an image's storefront flags",
        description="Visibility and position in the public gallery; any status, any kind.",
        opt=api_doc(OperationDoc(protected=True, body=STOREFRONT_BODY, validates=True)),
    )
    async def storefront(
        self,
        id: FromPath[str],
        image_id: FromPath[str],
        request: Request[Any, Any, Any],
        state: State,
        auth: NamedDependency[AuthContext],
    ) -> ProductResponse:
        command, problems = parse_image_storefront(id, image_id, await read_json(request))
        view = await _images(state).set_storefront(auth.user, command, problems)
        return product_response(view, container_from(state).deps.storage.public_url)
