"""Products: create (with uploads), list, read, prepare and finalize uploads, reprocess."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.users import User
from reseller_core.services.deps import Deps
from reseller_core.services.results import (
    FinalizeResult,
    ProductListResult,
    ProductWithUploads,
    ReprocessResult,
)


class ProductService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    async def create(self, user: User, body: Any) -> ProductWithUploads:
        raise NotImplementedError

    async def list(self, user: User, params: Mapping[str, str]) -> ProductListResult:
        raise NotImplementedError

    async def get(self, user: User, product_id: str) -> ProductView:
        raise NotImplementedError

    async def prepare_uploads(self, user: User, product_id: str, body: Any) -> ProductWithUploads:
        raise NotImplementedError

    async def finalize_uploads(self, user: User, product_id: str, body: Any) -> FinalizeResult:
        raise NotImplementedError

    async def reprocess(self, user: User, product_id: str) -> ReprocessResult:
        raise NotImplementedError
