"""Lifestyle scene planning and prompts (spec 30 §8.1 and §8.2).

Which scenes a product gets depends only on its text: the first scene family whose keyword
list shares a whole word with the product's title, brand, category and summary wins
(decision Q-M12: whole words, a plain plural ``s`` stripped, so "laptop" is never apparel
because of "top"). Each scene becomes one separate image request, so one failed scene
leaves the others standing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import msgspec

PROMPT_VERSION: Final = "v1"
DEFAULT_ASPECT_RATIO: Final = "4:5"
DEFAULT_LIFESTYLE_MODEL: Final = "gemini-2.5-flash-image"


class SceneFamily(msgspec.Struct, frozen=True, kw_only=True):
    """A product type's three scenes, their briefs and the category rules of its prompts."""

    name: str
    keywords: frozenset[str]
    scene_keys: tuple[str, str, str]
    briefs: tuple[str, str, str]
    rules: tuple[str, ...]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


APPAREL: Final = SceneFamily(
    name="apparel",
    keywords=_words(
        "apparel accessory accessories blazer blouse boots cardigan coat clothing denim dress "
        "footwear handbag hat heels hoodie jacket jeans jumpsuit loafers outerwear pants purse "
        "sandals shirt shoes shorts skirt sneakers suit sweater sweatshirt tee top trousers"
    ),
    scene_keys=("model_studio", "casual_lifestyle", "styled_detail"),
    briefs=(
        "a studio shot of a model wearing or carrying the item against a seamless backdrop",
        "an everyday daylight scene with the item worn or used naturally",
        "an alternate styling angle that shows the item's details up close",
    ),
    rules=(
        "any person is generic and non-identifying",
        "the item is never covered or hidden by other garments",
    ),
)
FURNITURE: Final = SceneFamily(
    name="furniture",
    keywords=_words(
        "armchair bench bookshelf cabinet chair coffee decor desk dresser furniture lamp mirror "
        "ottoman shelf sideboard sofa stool table vase"
    ),
    scene_keys=("hero_room", "alternate_room", "styled_detail"),
    briefs=(
        "a realistic hero room that shows the piece in use",
        "a second, differently styled interior",
        "a closer editorial room shot of the piece",
    ),
    rules=(
        "the room matches the piece realistically",
        "surroundings stay secondary to the piece",
        "the piece's proportions are preserved",
    ),
)
ELECTRONICS: Final = SceneFamily(
    name="electronics",
    keywords=_words(
        "camera charger console controller earbuds electronics headphone ipad iphone keyboard "
        "laptop lens monitor mouse phone speaker tablet tv watch"
    ),
    scene_keys=("desk_setup", "in_use_context", "premium_editorial"),
    briefs=(
        "a tidy desk setup",
        "an everyday scene of the device in use, controls and branding kept accurate",
        "a premium product-advertising setting",
    ),
    rules=(
        "the setting is a plausible desk or home",
        "ports, buttons, screens and brand marks are preserved",
        "no functionality the device does not have is implied",
    ),
)
GENERAL: Final = SceneFamily(
    name="general",
    keywords=frozenset(),
    scene_keys=("contextual_hero", "alternate_context", "editorial_clean"),
    briefs=(
        "a clean contextual hero shot",
        "a second real-world setting",
        "a restrained editorial scene",
    ),
    rules=(
        "the product stays dominant in the frame",
        "the lighting is realistic",
        "the product's shape and condition are unchanged",
    ),
)
FAMILIES: Final = (APPAREL, FURNITURE, ELECTRONICS)
"""Matched in this order; ``GENERAL`` is the fallback."""

REQUIRED_RULES: Final = (
    "keep the uploaded item as the main subject",
    "preserve its visible colour, silhouette, logos and distinctive details",
    "no text overlays, labels or price tags",
    "no accessories that are not visible in the source photos",
    "no exaggeration of condition, material quality or scale",
    "a realistic scene for this product type",
)

_WORD: Final = re.compile(r"[a-z0-9]+")


def words_of(texts: Iterable[str | None]) -> frozenset[str]:
    """Lower-cased whole words of ``texts``, each also without a trailing plural ``s``."""
    found: set[str] = set()
    for text in texts:
        for word in _WORD.findall((text or "").lower()):
            found.add(word)
            if len(word) > 2 and word.endswith("s"):
                found.add(word[:-1])
    return frozenset(found)


def scene_family(texts: Iterable[str | None]) -> SceneFamily:
    """The first family sharing a whole word with ``texts``; ``GENERAL`` when none does."""
    present = words_of(texts)
    for family in FAMILIES:
        if present & words_of(family.keywords):
            return family
    return GENERAL


class PlannedScene(msgspec.Struct, frozen=True, kw_only=True):
    """One image request of a lifestyle run."""

    scene_key: str
    variant_index: int
    brief: str


def plan_scenes(family: SceneFamily, scene_key: str | None = None) -> list[PlannedScene]:
    """Every scene of ``family`` or only ``scene_key``; ``ValueError`` for a foreign key."""
    scenes = [
        PlannedScene(scene_key=key, variant_index=index, brief=brief)
        for index, (key, brief) in enumerate(zip(family.scene_keys, family.briefs, strict=True), 1)
    ]
    if scene_key is None:
        return scenes
    chosen = [scene for scene in scenes if scene.scene_key == scene_key]
    if not chosen:
        raise ValueError(f"{scene_key!r} is not a scene of the {family.name} family")
    return chosen


class SceneFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The product facts a scene prompt may state (blank ones are left out)."""

    title: str | None = None
    brand: str | None = None
    category: str | None = None
    condition: str | None = None
    color: str | None = None
    material: str | None = None
    ai_summary: str | None = None


def scene_prompt(family: SceneFamily, scene: PlannedScene, facts: SceneFacts) -> str:
    """The text of one scene's image request (spec 30 §8.2)."""
    lines = [
        f"Create a photorealistic {family.name} lifestyle image: {scene.brief}.",
        "Use the attached photo(s) of the seller's item as the product to show.",
        "Product facts:",
    ]
    for name in ("title", "brand", "category", "condition", "color", "material", "ai_summary"):
        value = getattr(facts, name)
        if value is not None and value.strip():
            lines.append(f"- {name.replace('_', ' ')}: {value.strip()}")
    lines.append("Rules:")
    lines.extend(f"- {rule}" for rule in (*REQUIRED_RULES, *family.rules))
    return "\n".join(lines)
