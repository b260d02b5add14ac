"""What one worker knows about the run it claimed, passed from stage to stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reseller_core.domain.images import ProductImage
from reseller_core.domain.products import Product
from reseller_core.domain.runs import STEP_ORDER, ProcessingRun, Step
from reseller_core.ports import DescriptionResult, PriceResult, Recognition
from reseller_core.services.processing.progress import RunProgress

_STEP_INDEX: Mapping[str, int] = {step.value: index for index, step in enumerate(STEP_ORDER)}


def step_reached(current: str, step: Step) -> bool:
    """Has a run at ``current`` already committed ``step``? Final steps are past everything."""
    if current not in _STEP_INDEX:
        return bool(current)
    return _STEP_INDEX[current] >= _STEP_INDEX[step.value]


@dataclass(slots=True)
class RunContext:
    """The claimed run; ``run`` and ``progress`` change only after each commit.

    The stage outputs (``recognition``, ``description``, ``price``) are what later stages
    work from; on a resumed run each stage reloads its own from the stored progress and
    artifacts instead of calling the provider again.
    """

    run: ProcessingRun
    """The run as this worker last wrote it (the claim's, then each commit's); its next
    write starts from it and is refused if the claim was lost (``RunJournal.write_run``)."""
    progress: RunProgress
    product: Product | None = None
    """The product as this run last read or wrote it; after recognition, the facts every
    later stage works from."""
    images: tuple[ProductImage, ...] | None = None
    """The product's images as the claim left them: recognition's candidates."""
    recognition: Recognition | None = None
    description: DescriptionResult | None = None
    price: PriceResult | None = None
    """None when price research degraded (the listings are then written without a price)."""
    final_step: Step = Step.VARIANTS_GENERATED
    """The step the run completes at; the late stages say how far they got."""

    @property
    def run_id(self) -> str:
        return self.run.id

    @property
    def product_id(self) -> str:
        return self.run.product_id

    @property
    def user_id(self) -> str:
        return self.run.user_id

    @property
    def attempts(self) -> int:
        """The claim's attempt: every write of the run is checked against it."""
        return self.run.attempts

    @property
    def marketplaces(self) -> tuple[str, ...]:
        return self.run.marketplaces

    @property
    def step(self) -> str:
        """The last step this worker committed."""
        return self.run.step

    def reached(self, step: Step) -> bool:
        return step_reached(self.step, step)
