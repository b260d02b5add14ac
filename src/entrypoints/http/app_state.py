"""Keys and accessors for what the app keeps on ``app.state`` (no module-level globals)."""

from __future__ import annotations

from typing import Any, Final

from litestar.datastructures import State

from reseller_entrypoints.bootstrap import Container

CONTAINER: Final = "container"
"""The process's Container: built by the start-up hook, or handed in by tests."""
OPENAPI_DOCUMENT: Final = "openapi_document"
"""The post-processed OpenAPI document, built once at start-up."""
PAGE_CACHE: Final = "page_cache"
"""The process's cache of rendered public storefront pages (``page_cache.PageCache``)."""
API_OWNERS: Final = "api_owners"
"""The API controllers in declaration order (discovery lists endpoints in that order)."""


def container_from(state: State) -> Container:
    container: Container = state[CONTAINER]
    return container


def api_owners_from(state: State) -> tuple[type[Any], ...]:
    owners: tuple[type[Any], ...] = state.get(API_OWNERS, ())
    return owners
