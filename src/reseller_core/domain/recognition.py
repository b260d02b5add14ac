"""Recognition rules (spec 30 §6.2, §6.5): which images to show, and what a result may fill in.

Pure functions over domain objects. What a provider reports is read through
:class:`RecognisedItem`, the few attributes these rules look at, so the domain does not
depend on the AI port's types.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import msgspec

from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.products import TEXT_LIMITS, Product
from reseller_core.domain.text import clip, collapse_spaces

MAX_RECOGNITION_IMAGES = 5

RECOGNITION_STATUSES = frozenset({ImageStatus.UPLOADED, ImageStatus.PROCESSING, ImageStatus.READY})
RECOGNITION_EXCLUDED_KINDS = frozenset(
    {ImageKind.LIFESTYLE_GENERATED, ImageKind.BACKGROUND_REPLACED}
)
KIND_PRIORITY: Mapping[ImageKind, int] = {
    ImageKind.OBJECT_CROP: 0,
    ImageKind.BACKGROUND_REMOVED: 1,
    ImageKind.WHITE_BACKGROUND: 2,
    ImageKind.NORMALIZED: 3,
}
"""Recognition input order (spec 30 §6.2); every other kind, originals included, is 4."""

_FILLED_FIELDS = ("brand", "category", "color", "material")
"""Seller fields a recognition may fill when they are blank."""


class RecognisedItem(Protocol):
    """What a recognition says about the item, as far as these rules read it."""

    @property
    def brand(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def possible_model(self) -> str | None: ...
    @property
    def color(self) -> str | None: ...
    @property
    def material(self) -> str | None: ...
    @property
    def distinguishing_features(self) -> Sequence[str]: ...
    @property
    def confidence_score(self) -> float: ...


def recognition_candidates(images: Iterable[ProductImage]) -> list[ProductImage]:
    """Images recognition may use (§6.2), in kind-priority then position order.

    AI-generated scenes are excluded so a run never recognises its own earlier output.
    """
    candidates = [
        image
        for image in images
        if image.processing_status in RECOGNITION_STATUSES
        and image.kind not in RECOGNITION_EXCLUDED_KINDS
        and image.content_type
        and image.storage_key
    ]
    return sorted(candidates, key=lambda i: (KIND_PRIORITY.get(i.kind, 4), i.position, i.id))


def select_recognition_images(
    candidates: Sequence[ProductImage], limit: int = MAX_RECOGNITION_IMAGES
) -> list[ProductImage]:
    """At most ``limit`` inputs, always including an original when one exists (§6.2)."""
    ordered = recognition_candidates(candidates)
    chosen = ordered[:limit]
    if chosen and not any(image.kind == ImageKind.ORIGINAL for image in chosen):
        original = next((i for i in ordered if i.kind == ImageKind.ORIGINAL), None)
        if original is not None:
            if len(chosen) < limit:
                chosen.append(original)
            else:
                chosen[-1] = original
    return chosen


def usable_score(score: object) -> float | None:
    """A provider's confidence as a finite float, or None when it is not a usable number."""
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        return None
    return float(score) if math.isfinite(score) else None


def needs_review(flagged: bool, score: object, threshold: float) -> bool:
    """Low confidence (§6.4): flagged by the provider, or below the threshold (a missing
    score counts as 0). Such a result runs the visual-search fallback, and without external
    matches to vouch for it, it needs the seller's review (§6.5)."""
    confidence = usable_score(score)
    return flagged or confidence is None or confidence < threshold


def reconciled_needs_review(
    *,
    flagged: bool,
    low_confidence: bool,
    match_count: int,
    same_model_family: bool | None,
    review_notes: Sequence[str],
) -> bool:
    """§6.5: flagged, or the matches show another item, or notes to check, or no matches
    for a low-confidence result. ``same_model_family`` is None when nothing reconciled."""
    return (
        flagged
        or same_model_family is False
        or bool(review_notes)
        or (match_count == 0 and low_confidence)
    )


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def apply_recognition(
    product: Product, final: RecognisedItem, now: datetime, *, card: str | None = None
) -> Product:
    """Fill the product's blank fields from ``final`` (§6.5); seller values always win.

    ``card`` is reconciliation's short card description: it comes first for the title and
    the summary. ``ai_summary`` and ``ai_confidence`` are overwritten whenever a value is
    derived.
    Returns ``product`` itself when nothing changes, so callers can skip the write.
    """
    brand = collapse_spaces(final.brand)
    category = collapse_spaces(final.category)
    model = collapse_spaces(final.possible_model)
    card = collapse_spaces(card)
    changes: dict[str, Any] = {}
    if _blank(product.title):
        title = card
        if title is None and brand and model:
            title = f"{brand} {model}"
        if title is None and brand and category:
            title = f"{brand} {category}"
        if title is not None:
            changes["title"] = clip(title, TEXT_LIMITS["title"])
    for name in _FILLED_FIELDS:
        value = collapse_spaces(getattr(final, name))
        if value is not None and _blank(getattr(product, name)):
            changes[name] = clip(value, TEXT_LIMITS[name])
    features = [f for f in map(collapse_spaces, final.distinguishing_features) if f is not None]
    summary = card or (", ".join(features[:3]) if features else None)
    if summary is None:
        summary = " ".join(part for part in (model, category) if part) or None
    if summary is not None:
        changes["ai_summary"] = summary
    score = usable_score(final.confidence_score)
    if score is not None:
        changes["ai_confidence"] = score
    changes = {name: value for name, value in changes.items() if getattr(product, name) != value}
    if not changes:
        return product
    return msgspec.structs.replace(product, updated_at=now, **changes)
