"""A run's progress, typed: what each committed stage left in the run's stored ``payload``.

The stored payload stays a plain JSON object (``ProcessingRun.payload``), exposed as it is
by ``GET /processing_runs/{id}`` (spec 30 §6.11); :class:`RunProgress` is how processing
reads and writes it. A key the run has not reached yet is absent from the JSON (``None``
fields are omitted), so a payload encodes to exactly what the stages used to write, and
every payload stored before this type existed decodes into it.

A failed run's payload is a failure report (see ``runner.failure_payload``), not progress;
a run is never resumed once failed, so it is never decoded here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from reseller_core.ports import Recognition

logger = logging.getLogger(__name__)


class RejectedImage(msgspec.Struct, frozen=True, kw_only=True):
    """An upload the provider could not decode; marked ``failed`` (decision Q-M4)."""

    image_id: str
    reason: str


class FinalRecognition(Recognition, frozen=True, kw_only=True):
    """The run's ``final`` recognition (§6.5): the provider's, with the review decision."""

    external_match_count: int = 0
    short_card_description: str | UnsetType = UNSET
    """This and the next two come from reconciliation (§6.4), absent when it did not run."""
    review_notes: tuple[str, ...] | UnsetType = UNSET
    same_model_family: bool | UnsetType = UNSET

    @property
    def card(self) -> str | None:
        """The reconciled short card description, if reconciliation ran."""
        return (
            None
            if isinstance(self.short_card_description, UnsetType)
            else (self.short_card_description)
        )

    def as_recognition(self) -> Recognition:
        """The provider-facing recognition (without the run's own fields)."""
        fields = {name: getattr(self, name) for name in Recognition.__struct_fields__}
        return Recognition(**fields)


class SearchFallback(msgspec.Struct, frozen=True, kw_only=True):
    """Whether recognition fell back to a visual search (§6.4)."""

    attempted: bool = False
    error: str | UnsetType = UNSET
    """Why the search or the reconciliation failed; recognition alone was kept."""


class DescriptionSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    suggested_title: str
    short_description: str


class PriceProgress(msgspec.Struct, frozen=True, kw_only=True):
    """Price research as stored: a summary of the saved artifact, or the search failure.

    A degraded run (Q-M8) writes ``status="failed"`` with ``error`` and ``search_error``
    and none of the artifact's fields; the unset fields are left out of the JSON.
    """

    status: str
    id: str | UnsetType = UNSET
    currency: str | UnsetType = UNSET
    suggested_target_price: str | UnsetType | None = UNSET
    suggested_median_price: str | UnsetType | None = UNSET
    pricing_confidence: float | UnsetType = UNSET
    error: str | UnsetType = UNSET
    search_error: str | UnsetType = UNSET

    @property
    def failed(self) -> bool:
        return self.status == "failed"


class ListingEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One marketplace's outcome; ``error`` and ``detail`` only when its copy failed."""

    id: str
    marketplace: str
    status: str
    generated_title: str | None
    generated_price_suggestion: str | None
    error: str | UnsetType = UNSET
    detail: str | UnsetType = UNSET


class VariantEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    position: int
    background_style: str | None
    processing_status: str


class VariantProgress(msgspec.Struct, frozen=True, kw_only=True):
    """Background-removal variants so far (§6.9); ``running`` until the last one commits."""

    status: str
    count: int
    variants: tuple[VariantEntry, ...] = ()
    source_image_ids: tuple[str, ...] = ()
    error: str | UnsetType = UNSET
    error_reason: str | UnsetType = UNSET
    image_id: str | UnsetType = UNSET

    @property
    def finished(self) -> bool:
        return self.status in ("generated", "failed")


class LifestyleProgress(msgspec.Struct, frozen=True, kw_only=True):
    """Lifestyle scenes (§6.10); always ``skipped`` until that stage exists."""

    status: str
    reason: str | None = None
    requested_count: int = 0
    completed_count: int = 0
    scene_results: tuple[dict[str, Any], ...] = ()
    images: tuple[dict[str, Any], ...] = ()


class ProductSummary(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    status: str
    title: str | None
    brand: str | None
    category: str | None
    color: str | None
    material: str | None
    ai_confidence: float | None


class RunProgress(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Everything a run has committed so far; ``None`` means "not reached".

    The records inside are written whole, ``None`` values included; only their fields
    typed with ``UNSET`` are left out when unset.
    """

    rejected_images: tuple[RejectedImage, ...] = ()
    pipeline_status: str | None = None
    selected_image_count: int | None = None
    final: FinalRecognition | None = None
    fallback: SearchFallback | None = None
    search_matches: tuple[dict[str, Any], ...] | None = None
    description_draft: DescriptionSummary | None = None
    price_research: PriceProgress | None = None
    marketplace_listings: tuple[ListingEntry, ...] | None = None
    variant_generation: VariantProgress | None = None
    review_required: bool | None = None
    lifestyle_generation: LifestyleProgress | None = None
    product: ProductSummary | None = None
    provider: str | None = None
    model: str | None = None
    offline: bool | None = None

    def to_payload(self) -> dict[str, Any]:
        """The JSON object stored as the run's ``payload``.

        Provider observations may hold values JSON has no type for; they are stored as text.
        """
        encoded = msgspec.json.encode(self, enc_hook=str)
        payload: dict[str, Any] = msgspec.json.decode(encoded)
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> RunProgress:
        """Read a stored payload; keys this type does not know are ignored.

        A value that no longer reads as its field is dropped with a warning instead of
        failing the run: the stage that wrote it runs again, as it would have before the
        progress was typed.
        """
        try:
            return msgspec.convert(dict(payload), cls, str_keys=True)
        except msgspec.ValidationError:
            pass
        readable: dict[str, Any] = {}
        for name in cls.__struct_fields__:
            if name not in payload:
                continue
            try:
                msgspec.convert({name: payload[name]}, cls)
            except msgspec.ValidationError as exc:
                logger.warning("ignoring unreadable run progress %r: %s", name, exc)
                continue
            readable[name] = payload[name]
        return msgspec.convert(readable, cls)
