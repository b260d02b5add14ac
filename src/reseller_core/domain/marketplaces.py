"""The marketplace catalogue and the copy rules each marketplace imposes (spec 10 §3.4, 30 §7)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec


class MarketplaceRules(msgspec.Struct, frozen=True, kw_only=True):
    """Limits and guidance for generated copy on one marketplace.

    ``title_max_chars`` / ``title_max_words`` bound the title; ``tags_max`` and
    ``tag_max_chars`` bound ``generated_tags``; ``hashtags_in_description`` says how many
    inline hashtags the description may end with (0 = none allowed);
    ``description_max_chars`` bounds the description, hashtags included (None: no limit).
    """

    model: str
    tone: str
    title_max_chars: int = 160
    title_max_words: int | None = None
    tags_max: int = 13
    tags_min: int = 0
    tag_max_chars: int = 40
    hashtags_in_description: int = 0
    hashtags_min: int = 0
    description_max_chars: int | None = None
    intake_notes: bool = False
    flags_eligibility: bool = False
    plain_title: bool = False
    """No ALL CAPS words and no emoji in the title (eBay's title policy)."""


class Marketplace(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    label: str
    rules: MarketplaceRules


TITLE_HARD_CAP = 160

CATALOG: tuple[Marketplace, ...] = (
    Marketplace(
        id="ebay",
        label="eBay",
        rules=MarketplaceRules(
            model="seller-managed",
            tone="professional, factual; condition and flaws explicit; no HTML, links or contact info",
            title_max_chars=80,
            tags_max=20,
            plain_title=True,
        ),
    ),
    Marketplace(
        id="depop",
        label="Depop",
        rules=MarketplaceRules(
            model="seller-managed",
            tone="casual, conversational, truthful; fit and measurements",
            title_max_chars=60,
            tags_max=10,
            hashtags_in_description=10,
            hashtags_min=5,
            description_max_chars=1000,
        ),
    ),
    Marketplace(
        id="poshmark",
        label="Poshmark",
        rules=MarketplaceRules(
            model="seller-managed",
            tone="friendly, search-rich: brand, style, condition, measurements",
            title_max_chars=80,
            tags_max=3,
            description_max_chars=1500,
        ),
    ),
    Marketplace(
        id="mercari",
        label="Mercari",
        rules=MarketplaceRules(
            model="seller-managed",
            tone="concise, mobile-first; no unrelated brands",
            title_max_chars=80,
            tags_max=3,
            hashtags_in_description=3,
            description_max_chars=1000,
        ),
    ),
    Marketplace(
        id="facebook_marketplace",
        label="Facebook Marketplace",
        rules=MarketplaceRules(
            model="peer-to-peer local",
            tone="plain, brief local-sale copy; keep communication on-platform",
            title_max_chars=100,
            tags_max=0,
        ),
    ),
    Marketplace(
        id="offerup",
        label="OfferUp",
        rules=MarketplaceRules(
            model="peer-to-peer local",
            tone="3-5 short sentences; no URLs or contact info",
            title_max_chars=80,
            tags_max=0,
        ),
    ),
    Marketplace(
        id="whatnot",
        label="Whatnot",
        rules=MarketplaceRules(
            model="seller-managed / live",
            tone="item-specific, condition notes; no clickbait",
            title_max_chars=80,
            tags_max=0,
        ),
    ),
    Marketplace(
        id="grailed",
        label="Grailed",
        rules=MarketplaceRules(
            model="seller-managed",
            tone="concise menswear/designer copy; exact condition and measurements",
            title_max_chars=80,
            title_max_words=7,
            tags_max=10,
            tag_max_chars=32,
        ),
    ),
    Marketplace(
        id="therealreal",
        label="The RealReal",
        rules=MarketplaceRules(
            model="managed consignment",
            tone="intake notes for the consignment team, not public copy",
            title_max_chars=80,
            tags_max=0,
            intake_notes=True,
        ),
    ),
    Marketplace(
        id="vestiaire_collective",
        label="Vestiaire Collective",
        rules=MarketplaceRules(
            model="seller-managed + platform review",
            tone="luxury, condition-aware",
            title_max_chars=80,
            tags_max=0,
        ),
    ),
    Marketplace(
        id="thredup",
        label="thredUp",
        rules=MarketplaceRules(
            model="managed consignment",
            tone="intake notes only (the platform writes listings)",
            title_max_chars=80,
            tags_max=0,
            intake_notes=True,
        ),
    ),
    Marketplace(
        id="etsy",
        label="Etsy",
        rules=MarketplaceRules(
            model="seller-managed",
            tone="handmade / vintage / craft-supply eligibility matters",
            title_max_chars=140,
            title_max_words=15,
            tags_max=13,
            tags_min=13,
            tag_max_chars=20,
            flags_eligibility=True,
        ),
    ),
)

CATALOG_IDS: tuple[str, ...] = tuple(m.id for m in CATALOG)
DEFAULT_MARKETPLACES: tuple[str, ...] = ("ebay", "depop", "poshmark")
_BY_ID = {m.id: m for m in CATALOG}


def get_marketplace(marketplace_id: str) -> Marketplace | None:
    return _BY_ID.get(marketplace_id)


def humanise(marketplace_id: str) -> str:
    """The label of an id outside the catalogue: ``foo_bar`` → ``Foo Bar``."""
    return " ".join(part.capitalize() for part in marketplace_id.split("_") if part)


def catalog_order(ids: Iterable[str], supported: Sequence[str] = CATALOG_IDS) -> list[str]:
    """Return the supported ids among ``ids`` in catalogue order, without duplicates."""
    wanted = set(ids)
    return [m for m in supported if m in wanted]


def parse_selected_marketplaces(
    value: Sequence[str], supported: Sequence[str] = CATALOG_IDS
) -> tuple[list[str], list[str]]:
    """Apply the ``selected_marketplaces`` rules (spec 10 §3.3) to a list of ids.

    Returns (ids in catalogue order, error messages). Entries are trimmed, blanks and
    duplicates dropped; unknown ids are reported in input order.
    """
    cleaned: list[str] = []
    for entry in value:
        item = entry.strip()
        if item and item not in cleaned:
            cleaned.append(item)
    unknown = [item for item in cleaned if item not in supported]
    if unknown:
        return [], [f"contains unsupported marketplaces: {', '.join(unknown)}"]
    return catalog_order(cleaned, supported), []
