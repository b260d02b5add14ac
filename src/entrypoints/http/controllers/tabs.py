"""Product tabs (spec 20 §1): the seller's groupings of their own products.

Not write-gated. Path ids are plain strings: a malformed id is a 404 decided by the service.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.bodies import read_json
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.parsing.tabs import parse_save_tab
from reseller_entrypoints.http.route_table import BodyDoc, OperationDoc, api_doc
from reseller_entrypoints.http.storefront_presenters import DELETED
from reseller_entrypoints.http.storefront_schemas import DeletedResponse
from reseller_entrypoints.http.tab_schemas import (
    ProductTabListResponse,
    ProductTabRequestBody,
    ProductTabResponse,
    tab_list_response,
    tab_response,
)

TAB_BODY: Final = BodyDoc(
    description=(
        "`name` (required on create; unique per seller ignoring case; at most 80 characters) "
        "and `position` (> 0; on create defaults to the highest position + 1). A seller has "
        "at most 50 tabs."
    ),
    example={"product_tab": {"name": "Shoes", "position": 2}},
    command=ProductTabRequestBody,
)


class ProductTabsController(Controller):
    path = "/api/v1/product_tabs"
    tags = ["Product tabs"]
    dependencies = AUTH_DEPENDENCY

    @get("/", operation_id="getApiV1ProductTabs", summary="List product tabs",
         description="The seller's tabs by position, then creation order.",
         opt=api_doc(OperationDoc(protected=True)))  # fmt: skip
    async def list_tabs(
        self, state: State, auth: NamedDependency[AuthContext]
    ) -> ProductTabListResponse:
        return tab_list_response(await container_from(state).services.tabs.list(auth.user))

    @post("/", status_code=201, operation_id="postApiV1ProductTabs", summary="Create a product tab",
          description="201 with the new tab.",
          opt=api_doc(OperationDoc(protected=True, body=TAB_BODY, validates=True)))  # fmt: skip
    async def create_tab(
        self, request: Request[Any, Any, Any], state: State, auth: NamedDependency[AuthContext]
    ) -> ProductTabResponse:
        parsed = parse_save_tab(await read_json(request))
        return tab_response(await container_from(state).services.tabs.create(auth.user, *parsed))

    @patch("/{id:str}", operation_id="patchApiV1ProductTabsById", summary="Update a product tab",
           description="Partial update of `name` and `position`.",
           opt=api_doc(OperationDoc(protected=True, body=TAB_BODY, validates=True)))  # fmt: skip
    async def update_tab(
        self, id: FromPath[str], request: Request[Any, Any, Any], state: State,
        auth: NamedDependency[AuthContext],
    ) -> ProductTabResponse:  # fmt: skip
        parsed = parse_save_tab(await read_json(request))
        service = container_from(state).services.tabs
        return tab_response(await service.update(auth.user, id, *parsed))

    @delete("/{id:str}", status_code=200, operation_id="deleteApiV1ProductTabsById",
            summary="Delete a product tab",
            description="Its products are kept, with no tab.",
            opt=api_doc(OperationDoc(protected=True)))  # fmt: skip
    async def delete_tab(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> DeletedResponse:
        await container_from(state).services.tabs.delete(auth.user, id)
        return DELETED
