"""Response and request shapes of the product tab endpoints (spec 20 §1), and presenters."""

from __future__ import annotations

import msgspec

from reseller_core.commands.tabs import SaveProductTab
from reseller_core.domain.products import ProductTab
from reseller_entrypoints.http.presenters import iso
from reseller_entrypoints.http.schemas import Timestamp, Ulid


class ProductTabBody(msgspec.Struct, frozen=True, kw_only=True):
    id: Ulid
    name: str
    position: int
    inserted_at: Timestamp
    updated_at: Timestamp


class ProductTabData(msgspec.Struct, frozen=True, kw_only=True):
    product_tab: ProductTabBody


class ProductTabResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ProductTabData


class ProductTabListData(msgspec.Struct, frozen=True, kw_only=True):
    product_tabs: list[ProductTabBody]


class ProductTabListResponse(msgspec.Struct, frozen=True, kw_only=True):
    data: ProductTabListData


class ProductTabRequestBody(msgspec.Struct, frozen=True, kw_only=True):
    """The create/update body (for the OpenAPI document; parsed leniently)."""

    product_tab: SaveProductTab


def tab_body(tab: ProductTab) -> ProductTabBody:
    return ProductTabBody(
        id=tab.id,
        name=tab.name,
        position=tab.position,
        inserted_at=iso(tab.created_at),
        updated_at=iso(tab.updated_at),
    )


def tab_response(tab: ProductTab) -> ProductTabResponse:
    return ProductTabResponse(data=ProductTabData(product_tab=tab_body(tab)))


def tab_list_response(tabs: list[ProductTab]) -> ProductTabListResponse:
    return ProductTabListResponse(
        data=ProductTabListData(product_tabs=[tab_body(tab) for tab in tabs])
    )
