"""The product as the API shows it: the row plus everything hanging off it."""

from __future__ import annotations

import msgspec

from reseller_core.domain.artifacts import DescriptionDraft, MarketplaceListing, PriceResearch
from reseller_core.domain.images import ProductImage
from reseller_core.domain.media_runs import LifestyleRun
from reseller_core.domain.products import Product, ProductTab
from reseller_core.domain.runs import ProcessingRun
from reseller_core.domain.videos import ProductVideo, VideoRun


class ProductView(msgspec.Struct, frozen=True, kw_only=True):
    """One product with its tab, images (payload order), AI artifacts and latest runs."""

    product: Product
    tab: ProductTab | None = None
    images: tuple[ProductImage, ...] = ()
    description_draft: DescriptionDraft | None = None
    price_research: PriceResearch | None = None
    marketplace_listings: tuple[MarketplaceListing, ...] = ()
    latest_run: ProcessingRun | None = None
    latest_lifestyle_run: LifestyleRun | None = None
    """The newest lifestyle generation run (creation time, then id), if any."""
    videos: tuple[ProductVideo, ...] = ()
    """The current marketplace videos, one per marketplace, by marketplace id."""
    latest_video_run: VideoRun | None = None
    """The newest video generation run (creation time, then id), if any."""

    @property
    def latest_processing_run(self) -> ProcessingRun | None:
        """The name the HTTP payload uses for ``latest_run``."""
        return self.latest_run


class ProductPage(msgspec.Struct, frozen=True, kw_only=True):
    products: tuple[ProductView, ...]
    page: int
    page_size: int
    total_count: int
    total_pages: int
