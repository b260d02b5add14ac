"""The use cases driven by JSON bodies, as the HTTP edge drives them.

The use-case tests state the contract in terms of request bodies (``{"email": ...}``), so
these wrappers read a body with the edge's parser and hand the command and its problems to
the use case. Every other method passes straight through to the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reseller_core.commands import GetProduct, Reprocess
from reseller_core.domain.aggregate import ProductView
from reseller_core.domain.listing_query import parse_list_query
from reseller_core.domain.users import IssuedToken, User
from reseller_core.services.accounts import AccountService
from reseller_core.services.deps import Deps
from reseller_core.services.products import ProductService
from reseller_core.services.results import (
    FinalizeResult,
    ProductListResult,
    ProductWithUploads,
    ReprocessResult,
)
from reseller_entrypoints.http.parsing import (
    parse_confirm,
    parse_login,
    parse_register,
    parse_update_me,
)
from reseller_entrypoints.http.parsing.products import (
    parse_create_product,
    parse_finalize_uploads,
    parse_prepare_uploads,
)


class JsonAccounts:
    def __init__(self, service: AccountService) -> None:
        self.service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(self.service, name)

    async def register(self, body: Any, *, client_key: str | None = None) -> IssuedToken:
        return await self.service.register(*parse_register(body), client_key=client_key)

    async def login(self, body: Any, *, client_key: str | None = None) -> IssuedToken:
        return await self.service.login(*parse_login(body), client_key=client_key)

    async def confirm(self, body: Any, *, client_key: str | None = None) -> User:
        return await self.service.confirm(*parse_confirm(body), client_key=client_key)

    async def update_me(self, user: User, body: Any) -> User:
        return await self.service.update_me(user, *parse_update_me(body))


class JsonProducts:
    """Product use cases with request bodies and query strings, as over HTTP."""

    def __init__(self, service: ProductService) -> None:
        self.service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(self.service, name)

    async def create(self, user: User, body: Any) -> ProductWithUploads:
        return await self.service.create(user, *parse_create_product(body))

    async def list(self, user: User, params: Mapping[str, str]) -> ProductListResult:
        return await self.service.list(user, parse_list_query(params))

    async def get(self, user: User, product_id: str) -> ProductView:
        return await self.service.get(user, GetProduct(product_id=product_id))

    async def prepare_uploads(self, user: User, product_id: str, body: Any) -> ProductWithUploads:
        return await self.service.prepare_uploads(user, *parse_prepare_uploads(product_id, body))

    async def finalize_uploads(self, user: User, product_id: str, body: Any) -> FinalizeResult:
        return await self.service.finalize_uploads(user, *parse_finalize_uploads(product_id, body))

    async def reprocess(self, user: User, product_id: str) -> ReprocessResult:
        return await self.service.reprocess(user, Reprocess(product_id=product_id))


def product_service(deps: Deps) -> ProductService:
    """The product use cases over the ports of ``deps`` they use."""
    return ProductService(
        uow=deps.uow,
        reader=deps.reader,
        storage=deps.storage,
        queue=deps.queue,
        clock=deps.clock,
        ids=deps.ids,
        config=deps.config,
    )
