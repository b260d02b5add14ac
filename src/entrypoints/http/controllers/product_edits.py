"""Seller edits of a product: PATCH, DELETE and the lifecycle actions (spec 20 §3.4-3.6).

Not write-gated and not metered. Path ids are plain strings: a malformed id is a 404
decided by the service, like a foreign or unknown one.
"""

from __future__ import annotations

from typing import Final

from litestar import Controller, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from reseller_core.commands.product_edits import ProductAction
from reseller_core.services.product_edits import ProductEditService
from reseller_core.services.results import AuthContext
from reseller_entrypoints.http.app_state import container_from
from reseller_entrypoints.http.dependencies import AUTH_DEPENDENCY
from reseller_entrypoints.http.presenters import PublicUrl, product_response
from reseller_entrypoints.http.product_edit_schemas import (
    ProductPatchRequestBody,
    ProductRemovedData,
    ProductRemovedResponse,
)
from reseller_entrypoints.http.route_table import BodyDoc, OperationDoc, api_doc
from reseller_entrypoints.http.schemas import ProductResponse

PATCH_BODY: Final = BodyDoc(
    description=(
        "Partial update: only the keys under `product` change (null clears a field; `tags` "
        "replaces the list). `status` takes a manual status; `storefront_enabled` publishes "
        "(needs a title and a finalized original photo); `marketplace_external_urls` (top "
        "level or under `product`, top level wins) sets or clears listing URLs."
    ),
    example={
        "product": {"title": "Nike Air Max 90 White", "price": "119.00", "status": "ready"},
        "marketplace_external_urls": {"ebay": "https://www.ebay.com/itm/1234567890"},
    },
    command=ProductPatchRequestBody,
)
DELETED: Final = ProductRemovedResponse(data=ProductRemovedData(deleted=True))


def edits(state: State) -> ProductEditService:
    return container_from(state).services.edits


def public_url_of(state: State) -> PublicUrl:
    return container_from(state).deps.storage.public_url


class ProductLifecycleController(Controller):
    """``mark_sold``, ``archive``, ``unarchive`` (PATCH and DELETE live on
    ``ProductsController``: one controller per method of a path)."""

    path = "/api/v1/products"
    tags = ["Products"]
    dependencies = AUTH_DEPENDENCY

    @post("/{id:str}/mark_sold", status_code=200, operation_id="postApiV1ProductsByIdMarkSold",
          summary="Mark a product sold",
          description="Status `sold`; an existing `sold_at` is kept; `archived_at` cleared.",
          opt=api_doc(OperationDoc(protected=True, conflict=True)))  # fmt: skip
    async def mark_sold(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> ProductResponse:
        view = await edits(state).mark_sold(auth.user, ProductAction(product_id=id))
        return product_response(view, public_url_of(state))

    @post("/{id:str}/archive", status_code=200, operation_id="postApiV1ProductsByIdArchive",
          summary="Archive a product",
          description="Status `archived`; the status held before is remembered for unarchive.",
          opt=api_doc(OperationDoc(protected=True, conflict=True)))  # fmt: skip
    async def archive(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> ProductResponse:
        view = await edits(state).archive(auth.user, ProductAction(product_id=id))
        return product_response(view, public_url_of(state))

    @post("/{id:str}/unarchive", status_code=200, operation_id="postApiV1ProductsByIdUnarchive",
          summary="Unarchive a product",
          description="Restores the status held when archived; no change when not archived.",
          opt=api_doc(OperationDoc(protected=True, conflict=True)))  # fmt: skip
    async def unarchive(
        self, id: FromPath[str], state: State, auth: NamedDependency[AuthContext]
    ) -> ProductResponse:
        view = await edits(state).unarchive(auth.user, ProductAction(product_id=id))
        return product_response(view, public_url_of(state))
