"""The in-memory tables behind ``MemoryUnitOfWork``: rows as frozen structs, by id.

Every row is immutable, so a snapshot of the tables (``Tables.copy``) is a copy of the
dicts; a unit of work stages its writes on one and publishes it on commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from reseller_core.domain.artifacts import DescriptionDraft, MarketplaceListing, PriceResearch
from reseller_core.domain.images import ProductImage
from reseller_core.domain.listing_query import SEARCH_FIELDS, search_document
from reseller_core.domain.products import Product, ProductTab
from reseller_core.domain.runs import ProcessingRun
from reseller_core.domain.transfers import Export, Import
from reseller_core.domain.users import ApiToken, ConfirmationToken, User
from reseller_core.domain.videos import ProductVideo
from reseller_core.ports.idempotency import StoredAnswer
from reseller_core.ports.unit_of_work import ProviderCall, UsageEvent
from reseller_core.testing.memory_idempotency import AnswerKey
from reseller_core.testing.memory_media_runs import LifestyleRunTable, VideoRunTable
from reseller_core.testing.memory_storefronts import StorefrontTables

if TYPE_CHECKING:
    from reseller_core.testing.memory_uow import MemoryUnitOfWork


def product_document(product: Product) -> str:
    """The product's search document, built from ``SEARCH_FIELDS`` (tags last)."""
    values: list[str | None] = [getattr(product, name) for name in SEARCH_FIELDS if name != "tags"]
    return search_document(values, product.tags)


class ProductRow(msgspec.Struct, frozen=True, kw_only=True):
    """A stored product: the entity, its AI artifacts and its search document."""

    product: Product
    document: str
    description_draft: DescriptionDraft | None = None
    price_research: PriceResearch | None = None
    listings: tuple[MarketplaceListing, ...] = ()
    videos: tuple[ProductVideo, ...] = ()


class TokenRow(msgspec.Struct, frozen=True, kw_only=True):
    token: ApiToken
    revoked: bool = False


@dataclass(slots=True)
class Tables:
    """Every table as ``id → frozen row``; ``copy()`` is a snapshot."""

    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, TokenRow] = field(default_factory=dict)
    confirmations: dict[str, ConfirmationToken] = field(default_factory=dict)
    tabs: dict[str, ProductTab] = field(default_factory=dict)
    products: dict[str, ProductRow] = field(default_factory=dict)
    images: dict[str, ProductImage] = field(default_factory=dict)
    runs: dict[str, ProcessingRun] = field(default_factory=dict)
    usage_events: dict[str, UsageEvent] = field(default_factory=dict)
    provider_calls: dict[str, ProviderCall] = field(default_factory=dict)
    exports: dict[str, Export] = field(default_factory=dict)
    imports: dict[str, Import] = field(default_factory=dict)
    storefronts: StorefrontTables = field(default_factory=StorefrontTables)
    lifestyle_runs: LifestyleRunTable = field(default_factory=dict)
    video_runs: VideoRunTable = field(default_factory=dict)
    idempotency: dict[AnswerKey, StoredAnswer] = field(default_factory=dict)

    def copy(self) -> Tables:
        return Tables(
            users=dict(self.users),
            tokens=dict(self.tokens),
            confirmations=dict(self.confirmations),
            tabs=dict(self.tabs),
            products=dict(self.products),
            images=dict(self.images),
            runs=dict(self.runs),
            usage_events=dict(self.usage_events),
            provider_calls=dict(self.provider_calls),
            exports=dict(self.exports),
            imports=dict(self.imports),
            storefronts=self.storefronts.copy(),
            lifestyle_runs=dict(self.lifestyle_runs),
            video_runs=dict(self.video_runs),
            idempotency=dict(self.idempotency),
        )


class MemoryRepo:
    """Base of the repositories: they read and write the unit of work's staged tables."""

    def __init__(self, uow: MemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _t(self) -> Tables:
        return self._uow.staged()
