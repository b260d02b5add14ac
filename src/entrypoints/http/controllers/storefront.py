"""The seller's storefront (spec 40 §5) and the inquiries buyers left (§8).

Not write-gated, except the branding-asset ``prepare_upload`` (decision Q-A3).
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from reseller_core.commands.storefronts import InquiryFilters
from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.controllers.exports import PAGE_QUERY, page_params
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.parsing.storefronts import (
    parse_prepare_asset,
    parse_reorder,
    parse_save_page,
    parse_save_storefront,
)
from reseller_entrypoints.http.route_table import BodyDoc, OperationDoc, QueryParamDoc, api_doc
from reseller_entrypoints.http.storefront_presenters import (
    DELETED,
    inquiry_list_response,
    page_list_response,
    page_response,
    prepared_asset_response,
    storefront_response,
)
from reseller_entrypoints.http.storefront_schemas import (
    AssetRequestBody,
    DeletedResponse,
    InquiryListResponse,
    PageListResponse,
    PageRequestBody,
    PageResponse,
    PreparedAssetResponse,
    ReorderRequestBody,
    StorefrontRequestBody,
    StorefrontResponse,
)

STOREFRONT_BODY: Final = BodyDoc(
    description="Create-or-update: only the supplied keys change; the merged record is validated.",
    example={"storefront": {"slug": "my-store", "title": "My Store", "enabled": True}},
    command=StorefrontRequestBody,
)
PAGE_BODY: Final = BodyDoc(
    description="A plain-text seller page.",
    example={"page": {"title": "Shipping", "body": "We ship within two days.", "published": True}},
    command=PageRequestBody,
)
REORDER_BODY: Final = BodyDoc(
    description="Every page of the storefront exactly once, in the new order.",
    example={"page_ids": ["01J9ZQ4V7X2M8K3N5P6R7S8T9W"]},
    command=ReorderRequestBody,
)
ASSET_BODY: Final = BodyDoc(
    description="The image about to be uploaded (JPEG, PNG or WebP, at most 10 MB).",
    example={"asset": {"filename": "logo.png", "content_type": "image/png", "byte_size": 48000}},
    command=AssetRequestBody,
)
INQUIRY_QUERY: Final = (
    *PAGE_QUERY,
    QueryParamDoc("q", "Substring of the name, contact or message.", {"type": "string"}),
)


def _public_url(state: State) -> Any:
    return container_from(state).deps.storage.public_url


class StorefrontController(Controller):
    path = "/api/v1/storefront"
    tags = ["Storefront"]
    dependencies = AUTH_DEPENDENCY

    @get("/", operation_id="getApiV1Storefront", summary="Get the storefront",
         description="The storefront (a virtual unsaved one before the first save) and the 42 theme presets.",
         opt=api_doc(OperationDoc(protected=True)))  # fmt: skip
    async def get_storefront(
        self, state: State, auth: NamedDependency[AuthContext]
    ) -> StorefrontResponse:
        view = await container_from(state).services.storefronts.get(auth.user)
        return storefront_response(view, _public_url(state))

    @put("/", status_code=200, operation_id="putApiV1Storefront", summary="Save the storefront",
         description="Creates or updates the storefront; 200 either way.",
         opt=api_doc(OperationDoc(protected=True, body=STOREFRONT_BODY, validates=True)))  # fmt: skip
    async def save_storefront(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> StorefrontResponse:
        parsed = parse_save_storefront(await read_json(request))
        view = await container_from(state).services.storefronts.save(auth.user, *parsed)
        return storefront_response(view, _public_url(state))

    @get("/pages", operation_id="getApiV1StorefrontPages", summary="List pages",
         description="Every page, published or not, by position then id.",
         opt=api_doc(OperationDoc(protected=True)))  # fmt: skip
    async def list_pages(
        self, state: State, auth: NamedDependency[AuthContext]
    ) -> PageListResponse:
        return page_list_response(await container_from(state).services.storefronts.pages(auth.user))

    @post("/pages", status_code=201, operation_id="postApiV1StorefrontPages", summary="Create a page",
          description="422 `storefront_not_found` before the storefront is saved.",
          opt=api_doc(OperationDoc(protected=True, body=PAGE_BODY, validates=True, state_errors=True)))  # fmt: skip
    async def create_page(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> PageResponse:
        parsed = parse_save_page(await read_json(request))
        return page_response(
            await container_from(state).services.storefronts.create_page(auth.user, *parsed)
        )

    @put("/pages/order", status_code=200, operation_id="putApiV1StorefrontPagesOrder",
         summary="Reorder pages", description="Positions 1..n in list order.",
         opt=api_doc(OperationDoc(protected=True, body=REORDER_BODY, validates=True, state_errors=True)))  # fmt: skip
    async def reorder_pages(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> PageListResponse:
        command = parse_reorder(await read_json(request))
        pages = await container_from(state).services.storefronts.reorder_pages(auth.user, command)
        return page_list_response(pages)

    @patch("/pages/{page_id:str}", operation_id="patchApiV1StorefrontPagesByPageId", summary="Update a page",
           description="Partial update; a blank `menu_label` resets it to the title.",
           opt=api_doc(OperationDoc(protected=True, body=PAGE_BODY, validates=True)))  # fmt: skip
    async def update_page(
        self, page_id: FromPath[str], request: Request[Any, Any, Any], state: State,
        auth: NamedDependency[AuthContext],
    ) -> PageResponse:  # fmt: skip
        parsed = parse_save_page(await read_json(request))
        service = container_from(state).services.storefronts
        return page_response(await service.update_page(auth.user, page_id, *parsed))

    @delete("/pages/{page_id:str}", status_code=200, operation_id="deleteApiV1StorefrontPagesByPageId",
            summary="Delete a page", description="Other pages keep their positions.",
            opt=api_doc(OperationDoc(protected=True)))  # fmt: skip
    async def delete_page(
        self, page_id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> DeletedResponse:
        await container_from(state).services.storefronts.delete_page(auth.user, page_id)
        return DELETED

    @post("/assets/{kind:str}/prepare_upload", status_code=200,
          operation_id="postApiV1StorefrontAssetsByKindPrepareUpload",
          summary="Prepare a branding image upload",
          description="Creates or replaces the `logo` or `header` asset and signs a direct upload.",
          opt=api_doc(OperationDoc(protected=True, write_gated=True, body=ASSET_BODY,
                                   validates=True, state_errors=True, storage=True)))  # fmt: skip
    async def prepare_asset(
        self, kind: FromPath[str], request: Request[Any, Any, Any], state: State,
        auth: NamedDependency[AuthContext],
    ) -> PreparedAssetResponse:  # fmt: skip
        parsed = parse_prepare_asset(await read_json(request))
        service = container_from(state).services.storefronts
        prepared = await service.prepare_asset(auth.user, kind, *parsed)
        return prepared_asset_response(prepared, _public_url(state))

    @delete("/assets/{kind:str}", status_code=200, operation_id="deleteApiV1StorefrontAssetsByKind",
            summary="Delete a branding image", description="Removes the asset record.",
            opt=api_doc(OperationDoc(protected=True)))  # fmt: skip
    async def delete_asset(
        self, kind: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> DeletedResponse:
        await container_from(state).services.storefronts.delete_asset(auth.user, kind)
        return DELETED


class InquiriesController(Controller):
    path = "/api/v1/inquiries"
    tags = ["Inquiries"]
    dependencies = AUTH_DEPENDENCY

    @get("/", operation_id="getApiV1Inquiries", summary="List inquiries",
         description="The caller's storefront's inquiries, newest first.",
         opt=api_doc(OperationDoc(protected=True, query=INQUIRY_QUERY)))  # fmt: skip
    async def list_inquiries(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> InquiryListResponse:
        page, page_size = page_params(request)
        filters = InquiryFilters(page=page, page_size=page_size, q=request.query_params.get("q"))
        return inquiry_list_response(
            await container_from(state).services.storefronts.inquiries(auth.user, filters)
        )

    @delete("/{id:str}", status_code=200, operation_id="deleteApiV1InquiriesById",
            summary="Delete an inquiry", description="Hard delete.",
            opt=api_doc(OperationDoc(protected=True)))  # fmt: skip
    async def delete_inquiry(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> DeletedResponse:
        await container_from(state).services.storefronts.delete_inquiry(auth.user, id)
        return DELETED
