"""Storefront records into their response Structs (spec 40 §5.1, §8.1)."""

from __future__ import annotations

from collections.abc import Callable

from reseller_core.domain.storefronts import Inquiry, StorefrontAsset, StorefrontPage
from reseller_core.domain.themes import DEFAULT_THEME_ID, THEMES
from reseller_core.services.storefronts import InquiryPage, PreparedAsset, StorefrontView
from reseller_entrypoints.http.presenters import iso, iso_or_none
from reseller_entrypoints.http.storefront_schemas import (
    AssetBody,
    AssetUploadBody,
    DeletedData,
    DeletedResponse,
    InquiryBody,
    InquiryListData,
    InquiryListResponse,
    PageBody,
    PageData,
    PageListData,
    PageListResponse,
    PageResponse,
    PreparedAssetData,
    PreparedAssetResponse,
    StorefrontBody,
    StorefrontData,
    StorefrontResponse,
)
from reseller_entrypoints.http.transfer_presenters import pagination

PublicUrl = Callable[[str], str | None]

DELETED = DeletedResponse(data=DeletedData(deleted=True))


def asset_body(asset: StorefrontAsset, public_url: PublicUrl) -> AssetBody:
    return AssetBody(
        id=asset.id,
        kind=asset.kind,
        storage_key=asset.storage_key,
        url=public_url(asset.storage_key),
        content_type=asset.content_type,
        original_filename=asset.original_filename,
        width=asset.width,
        height=asset.height,
        byte_size=asset.byte_size,
        inserted_at=iso(asset.inserted_at),
        updated_at=iso(asset.updated_at),
    )


def page_body(page: StorefrontPage) -> PageBody:
    return PageBody(
        id=page.id,
        title=page.title,
        slug=page.slug,
        menu_label=page.menu_label,
        body=page.body,
        position=page.position,
        published=page.published,
        inserted_at=iso(page.inserted_at),
        updated_at=iso(page.updated_at),
    )


def storefront_response(view: StorefrontView, public_url: PublicUrl) -> StorefrontResponse:
    store = view.storefront
    assets = [asset_body(asset, public_url) for asset in view.assets]
    body = StorefrontBody(
        id=store.id if store else None,
        slug=store.slug if store else None,
        title=store.title if store else None,
        tagline=store.tagline if store else None,
        description=store.description if store else None,
        theme_id=store.theme_id if store else DEFAULT_THEME_ID,
        currency=store.currency if store else "USD",
        enabled=store.enabled if store else False,
        image_urls=[asset.url for asset in assets if asset.url is not None],
        assets=assets,
        pages=[page_body(page) for page in view.pages],
        inserted_at=iso_or_none(store.inserted_at if store else None),
        updated_at=iso_or_none(store.updated_at if store else None),
    )
    return StorefrontResponse(data=StorefrontData(storefront=body, themes=list(THEMES)))


def page_response(page: StorefrontPage) -> PageResponse:
    return PageResponse(data=PageData(page=page_body(page)))


def page_list_response(pages: list[StorefrontPage]) -> PageListResponse:
    return PageListResponse(data=PageListData(pages=[page_body(page) for page in pages]))


def prepared_asset_response(
    prepared: PreparedAsset, public_url: PublicUrl
) -> PreparedAssetResponse:
    upload = prepared.upload
    return PreparedAssetResponse(
        data=PreparedAssetData(
            asset=asset_body(prepared.asset, public_url),
            upload_instruction=AssetUploadBody(
                method=upload.method,
                upload_url=upload.url,
                headers=upload.headers,
                expires_at=iso(upload.expires_at),
            ),
        )
    )


def inquiry_body(inquiry: Inquiry) -> InquiryBody:
    return InquiryBody(
        id=inquiry.id,
        full_name=inquiry.full_name,
        contact=inquiry.contact,
        message=inquiry.message,
        source_path=inquiry.source_path,
        product_id=inquiry.product_id,
        inserted_at=iso(inquiry.inserted_at),
    )


def inquiry_list_response(page: InquiryPage) -> InquiryListResponse:
    return InquiryListResponse(
        data=InquiryListData(
            inquiries=[inquiry_body(inquiry) for inquiry in page.inquiries],
            pagination=pagination(page.page, page.page_size, page.total_count),
        )
    )
