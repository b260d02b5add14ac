"""A seeded public storefront: an owner, enabled storefront, pages and public products."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from reseller_core.commands.storefronts import SavePage, SaveStorefront
from reseller_core.domain.storefronts import product_ref
from reseller_core.domain.users import User
from reseller_entrypoints.bootstrap import Container
from tests.transfers.seeding import SeedImage, seed_product

ITEMS = (
    ("Levi's 501 Jeans", "Levi's", "Jeans", "Straight-leg vintage denim, barely worn.", "89.00"),
    ("Wool Overcoat", "COS", "Coats", "Charcoal wool-blend coat with a clean collar.", "148.00"),
    ("Leather Belt", "Coach", "Accessories", "Full-grain leather belt with brass buckle.", "35.50"),
    ("Nike Air Max 90", "Nike", "Sneakers", "Classic runner in white and infrared.", "120.00"),
    ("Silk Scarf", "Hermès", "Accessories", "Printed silk twill scarf, 90 cm square.", None),
    ("Denim Jacket", "Lee", "Jackets", "Trucker jacket in mid-wash denim.", "64.00"),
)


@dataclass
class SeededStore:
    slug: str
    user: User
    product_ids: list[str]
    refs: list[str]


async def seed_store(
    container: Container,
    user: User,
    *,
    slug: str = "fresh-threads",
    title: str = "Fresh Threads",
    tagline: str | None = "Curated resale, photographed with care.",
    theme_id: str = "desert-clay",
    count: int = 6,
    enabled: bool = True,
    storage: Any = None,
    **overrides: Any,
) -> SeededStore:
    services = container.services
    await services.storefronts.save(
        user,
        SaveStorefront(
            slug=slug, title=title, tagline=tagline, theme_id=theme_id, enabled=enabled,
            description="Second-hand clothing and accessories, checked and ready to ship.",
        ),
    )  # fmt: skip
    await services.storefronts.create_page(
        user,
        SavePage(title="Shipping", body="We ship within two days.\n\nReturns within 14 days.",
                 published=True),
    )  # fmt: skip
    await services.storefronts.create_page(
        user, SavePage(title="Draft page", body="Not public yet.", published=False)
    )
    deps = container.deps
    now = deps.clock.now()
    ids, refs = [], []
    for index in range(count):
        name, brand, category, summary, price = ITEMS[index % len(ITEMS)]
        name = name if index < len(ITEMS) else f"{name} #{index + 1}"
        fields = {
            "storefront_enabled": True,
            "storefront_published_at": now - timedelta(minutes=index),
            "ai_summary": summary,
            "category": category,
            "condition": "Excellent",
            "size": "M",
            **overrides,
        }
        product = await seed_product(
            deps.uow, storage or deps.storage, deps.ids, now, user.id, title=name, brand=brand,
            price=Decimal(price) if price else None, sku=f"SECRET-SKU-{index}",
            notes="private seller note", images=(SeedImage(),), extra=fields,
        )  # fmt: skip
        ids.append(product.id)
        refs.append(product_ref(product.id, product.title))
    return SeededStore(slug=slug, user=user, product_ids=ids, refs=refs)
