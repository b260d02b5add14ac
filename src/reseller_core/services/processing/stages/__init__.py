"""The stages of a processing run, one module each, in the order a run executes them.

A new stage is a new module here with a class that follows :class:`Stage`, and one entry
in :func:`default_stages`. It reads what earlier stages left on the ``RunContext`` and
records its own progress in a field of ``RunProgress``.
"""

from __future__ import annotations

from collections.abc import Mapping

from reseller_core.ports import (
    AIProvider,
    IdFactory,
    ImageEditor,
    MarketplaceAdapter,
    ObjectStorage,
    SearchProvider,
)
from reseller_core.services.config import CoreConfig
from reseller_core.services.processing.journal import RunJournal
from reseller_core.services.processing.stages.base import Stage
from reseller_core.services.processing.stages.completion import CompletionStage
from reseller_core.services.processing.stages.description import DescriptionStage
from reseller_core.services.processing.stages.listings import ListingStage
from reseller_core.services.processing.stages.price import PriceStage
from reseller_core.services.processing.stages.recognition import RecognitionStage
from reseller_core.services.processing.stages.variants import VariantStage
from reseller_core.services.processing.usage import UsageMeter

__all__ = [
    "CompletionStage",
    "DescriptionStage",
    "ListingStage",
    "PriceStage",
    "RecognitionStage",
    "Stage",
    "VariantStage",
    "default_stages",
]


def default_stages(
    *,
    journal: RunJournal,
    usage: UsageMeter,
    storage: ObjectStorage,
    ai: AIProvider,
    image_editor: ImageEditor,
    ids: IdFactory,
    marketplaces: Mapping[str, MarketplaceAdapter],
    config: CoreConfig,
    search: SearchProvider | None = None,
) -> tuple[Stage, ...]:
    """Spec 30 §6 in order: recognition, description, price, listings, variants, completion."""
    return (
        RecognitionStage(
            journal=journal, usage=usage, storage=storage, ai=ai, config=config, search=search
        ),
        DescriptionStage(journal=journal, usage=usage, ai=ai, ids=ids),
        PriceStage(journal=journal, usage=usage, ai=ai, ids=ids, search=search),
        ListingStage(journal=journal, usage=usage, ai=ai, ids=ids, marketplaces=marketplaces),
        VariantStage(
            journal=journal, usage=usage, storage=storage, image_editor=image_editor, ids=ids
        ),
        CompletionStage(journal=journal, ai=ai),
    )
