"""Products: create (with upload intents), list, read, prepare and finalize uploads, reprocess.

The two reads answer from the product read model (``documents.py``): they authenticate and
read in one reading unit of work and send stored documents as they are.

Path ids are plain strings: a malformed id is a 404 decided by the service, exactly like a
foreign or unknown one. Only finalize and reprocess are metered (402): decision Q-A12 checks
limits where AI work is queued, never at create or prepare.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from reseller_core.commands import (
    CreateProduct,
    FinalizeUploads,
    PrepareUploads,
    Reprocess,
)
from reseller_core.commands.product_edits import ProductAction
from reseller_core.domain.listing_query import parse_list_query
from reseller_core.services.products import ProductService
from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.controllers.product_edits import (
    DELETED,
    PATCH_BODY,
    edits,
    public_url_of,
)
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.documents import (
    product_page_read_response,
    product_read_response,
)
from reseller_entrypoints.http.lenient_schemas import batch_of
from reseller_entrypoints.http.parsing.product_edits import parse_update_product
from reseller_entrypoints.http.parsing.products import (
    parse_create_product,
    parse_finalize_uploads,
    parse_prepare_uploads,
)
from reseller_entrypoints.http.presenters import (
    PublicUrl,
    finalize_response,
    product_response,
    product_uploads_response,
    reprocess_response,
)
from reseller_entrypoints.http.product_edit_schemas import ProductRemovedResponse
from reseller_entrypoints.http.route_table import (
    BodyDoc,
    LinkDoc,
    OperationDoc,
    QueryParamDoc,
    api_doc,
)
from reseller_entrypoints.http.schemas import (
    FinalizeResponse,
    ProductListResponse,
    ProductResponse,
    ProductUploadsResponse,
    ReprocessResponse,
)

LIST_QUERY: Final = (
    QueryParamDoc(
        "page",
        "Page number (default 1; beyond the last page shows the last page). A value that is "
        "not a whole number of 1 or more means the default.",
    ),
    QueryParamDoc(
        "page_size",
        "Products per page (default 15, at most 100; larger values mean 100). A value that "
        "is not a whole number of 1 or more means the default.",
    ),
    QueryParamDoc(
        "status",
        "Status filter: `all` (the default), `draft`, `uploading`, `processing`, `review`, "
        "`ready`, `sold` or `archived`; any other value means the default.",
    ),
    QueryParamDoc(
        "query",
        "Full-text search: every word must match; quoted phrases, `or` and `-term` supported.",
    ),
    QueryParamDoc("product_tab_id", "Only products in this product tab (ULID)."),
    QueryParamDoc(
        "updated_from",
        "Updated on or after this day (UTC, `YYYY-MM-DD`); any other value is ignored.",
    ),
    QueryParamDoc(
        "updated_to",
        "Updated on or before this day (UTC, `YYYY-MM-DD`); any other value is ignored.",
    ),
    QueryParamDoc(
        "sort",
        "Sort key: `title`, `status`, `price`, `updated_at` (the default) or `inserted_at`; "
        "any other value means the default.",
    ),
    QueryParamDoc(
        "dir", "Sort direction: `asc` or `desc` (the default); any other value means the default."
    ),
)
"""Invalid values never fail: each falls back to its default, echoed under ``filters``.
So the document types every parameter as a string: it refuses nothing the server accepts."""

_INTENT_EXAMPLE: Final = {
    "filename": "shoe-1.jpg",
    "content_type": "image/jpeg",
    "byte_size": 345678,
}

CREATE_BODY: Final = BodyDoc(
    description=(
        "Optional as a whole (`{}` creates an empty draft). `product` holds seller fields; "
        "`uploads` (1-10 intents) returns one signed upload instruction per intent."
    ),
    example={
        "product": {"title": "Nike Air Max", "brand": "Nike", "tags": ["running", "air-max"]},
        "uploads": [_INTENT_EXAMPLE],
    },
    command=CreateProduct,
    required=False,
    overrides={"uploads": batch_of("UploadIntent", nullable=True)},
)
PREPARE_BODY: Final = BodyDoc(
    description="1-10 upload intents for more photos of this product.",
    example={"uploads": [_INTENT_EXAMPLE]},
    command=PrepareUploads,
    from_path=("product_id",),
    overrides={"uploads": batch_of("UploadIntent", nullable=False)},
)
FINALIZE_BODY: Final = BodyDoc(
    description="The uploaded images (ids from the upload instructions), optionally with metadata.",
    example={"uploads": [{"id": "01JQ9A2B3C4D5E6F7G8H9J0KP1", "byte_size": 345678}]},
    command=FinalizeUploads,
    from_path=("product_id",),
    overrides={"uploads": batch_of("FinalizeItem", nullable=False)},
)
PRODUCT_ID_LINK: Final = {"id": "$response.body#/data/product/id"}
PRODUCT_LINKS: Final = (
    LinkDoc("GetProduct", "getApiV1ProductsById", PRODUCT_ID_LINK),
    LinkDoc("PrepareUploads", "postApiV1ProductsByIdPrepareUploads", PRODUCT_ID_LINK),
    LinkDoc("FinalizeUploads", "postApiV1ProductsByIdFinalizeUploads", PRODUCT_ID_LINK),
    LinkDoc("Reprocess", "postApiV1ProductsByIdReprocess", PRODUCT_ID_LINK),
)
"""Let clients (and schemathesis' stateful phase) follow a created product to its actions."""


class ProductsController(Controller):
    path = "/api/v1/products"
    tags = ["Products"]
    dependencies = AUTH_DEPENDENCY

    @get(
        "/",
        operation_id="getApiV1Products",
        summary="List products",
        description=(
            "Returns a page of the authenticated user's products with filters, search and "
            "sorting; invalid parameters fall back to their defaults."
        ),
        opt=api_doc(OperationDoc(protected=True, query=LIST_QUERY)),
    )
    async def list_products(
        self,
        request: Request[Any, Any, Any],
        state: State,
        public_url: NamedDependency[PublicUrl],
    ) -> Response[ProductListResponse]:
        query = parse_list_query(request.query_params)
        return await product_page_read_response(request, state, query, public_url)

    @post(
        "/",
        status_code=201,
        operation_id="postApiV1Products",
        summary="Create a product",
        description=(
            "Creates a product, optionally with upload intents: 201 with the product and one "
            "signed upload instruction per intent. Requires a confirmed e-mail address."
        ),
        opt=api_doc(
            OperationDoc(
                protected=True,
                write_gated=True,
                body=CREATE_BODY,
                validates=True,
                storage=True,
                links=PRODUCT_LINKS,
            )
        ),
    )
    async def create_product(
        self,
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        products: NamedDependency[ProductService],
        public_url: NamedDependency[PublicUrl],
    ) -> ProductUploadsResponse:
        parsed = parse_create_product(await read_json(request))
        result = await products.create(auth.user, *parsed)
        return product_uploads_response(result, public_url)

    @get(
        "/{id:str}",
        operation_id="getApiV1ProductsById",
        summary="Get a product",
        description="Returns one product for the authenticated user.",
        opt=api_doc(OperationDoc(protected=True)),
    )
    async def get_product(
        self,
        id: FromPath[str],
        request: Request[Any, Any, Any],
        state: State,
        public_url: NamedDependency[PublicUrl],
    ) -> Response[ProductResponse]:
        return await product_read_response(request, state, id, public_url)

    @post(
        "/{id:str}/prepare_uploads",
        status_code=200,
        operation_id="postApiV1ProductsByIdPrepareUploads",
        summary="Prepare photo uploads",
        description=(
            "Adds upload placeholders to a product in draft, review or ready and returns one "
            "signed upload instruction per intent. Requires a confirmed e-mail address."
        ),
        opt=api_doc(
            OperationDoc(
                protected=True,
                write_gated=True,
                body=PREPARE_BODY,
                validates=True,
                state_errors=True,
                storage=True,
                conflict=True,
            )
        ),
    )
    async def prepare_uploads(
        self,
        id: FromPath[str],
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        products: NamedDependency[ProductService],
        public_url: NamedDependency[PublicUrl],
    ) -> ProductUploadsResponse:
        parsed = parse_prepare_uploads(id, await read_json(request))
        result = await products.prepare_uploads(auth.user, *parsed)
        return product_uploads_response(result, public_url)

    @post(
        "/{id:str}/finalize_uploads",
        status_code=200,
        operation_id="postApiV1ProductsByIdFinalizeUploads",
        summary="Finalize photo uploads",
        description=(
            "Marks uploaded photos as received; when no photo is still pending, starts AI "
            "processing and returns the queued run. Requires a confirmed e-mail address. "
            "The same finalize repeated within 30 seconds on an unchanged product (a double "
            "tap, a retry after a lost answer) answers 200 with the run it already started: "
            "no second run is started or metered."
        ),
        opt=api_doc(
            OperationDoc(
                protected=True,
                write_gated=True,
                metered=True,
                body=FINALIZE_BODY,
                validates=True,
                state_errors=True,
                conflict=True,
            )
        ),
    )
    async def finalize_uploads(
        self,
        id: FromPath[str],
        request: Request[Any, Any, Any],
        auth: NamedDependency[AuthContext],
        products: NamedDependency[ProductService],
        public_url: NamedDependency[PublicUrl],
    ) -> FinalizeResponse:
        parsed = parse_finalize_uploads(id, await read_json(request))
        result = await products.finalize_uploads(auth.user, *parsed)
        return finalize_response(result, public_url)

    @post(
        "/{id:str}/reprocess",
        status_code=202,
        operation_id="postApiV1ProductsByIdReprocess",
        summary="Reprocess a product",
        description=(
            "Starts a new AI processing run over the product's uploaded photos (for example "
            "after a retryable failure). Requires a confirmed e-mail address."
        ),
        opt=api_doc(
            OperationDoc(
                protected=True, write_gated=True, metered=True, state_errors=True, conflict=True
            )
        ),
    )
    async def reprocess(
        self,
        id: FromPath[str],
        auth: NamedDependency[AuthContext],
        products: NamedDependency[ProductService],
        public_url: NamedDependency[PublicUrl],
    ) -> ReprocessResponse:
        result = await products.reprocess(auth.user, Reprocess(product_id=id))
        return reprocess_response(result, public_url)

    @patch("/{id:str}", operation_id="patchApiV1ProductsById", summary="Update a product",
           description="Updates seller fields, status, publication and listing URLs in one "
           "transaction; allowed in every status.",
           opt=api_doc(OperationDoc(protected=True, body=PATCH_BODY, validates=True,
                                    conflict=True)))  # fmt: skip
    async def update_product(
        self, id: FromPath[str], request: Request[Any, Any, Any], state: State,
        auth: NamedDependency[AuthContext],
    ) -> ProductResponse:  # fmt: skip
        parsed = parse_update_product(id, await read_json(request))
        view = await edits(state).update(auth.user, *parsed)
        return product_response(view, public_url_of(state))

    @delete("/{id:str}", status_code=200, operation_id="deleteApiV1ProductsById",
            summary="Delete a product",
            description="Deletes the product and everything it owns; its stored photos are "
            "deleted in the background.",
            opt=api_doc(OperationDoc(protected=True)))  # fmt: skip
    async def delete_product(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> ProductRemovedResponse:
        await edits(state).delete(auth.user, ProductAction(product_id=id))
        return DELETED
