"""A finalize that changes nothing shortly after a run started is a repeat of it."""

from __future__ import annotations

from datetime import timedelta

from reseller_core.domain.images import ImageKind, ImageStatus, ProductImage
from reseller_core.domain.repeated_requests import FINALIZE_REPEAT_WINDOW, repeats_latest_finalize
from reseller_core.domain.runs import ProcessingRun, RunStatus
from reseller_core.testing import FixedClock

STARTED = FixedClock().now()


def _image(image_id: str, status: ImageStatus, *, added: timedelta = timedelta()) -> ProductImage:
    return ProductImage(
        id=image_id,
        product_id="P",
        kind=ImageKind.ORIGINAL,
        position=1,
        storage_key=f"k/{image_id}",
        content_type="image/jpeg",
        processing_status=status,
        created_at=STARTED - timedelta(minutes=1) + added,
        updated_at=STARTED,
    )


RUN = ProcessingRun(
    id="R",
    product_id="P",
    user_id="U",
    status=RunStatus.QUEUED,
    step="queued",
    marketplaces=(),
    created_at=STARTED,
    updated_at=STARTED,
)
UPLOADED = [_image("A", ImageStatus.UPLOADED), _image("B", ImageStatus.READY)]


def test_an_unchanged_finalize_within_the_window_repeats_the_run() -> None:
    assert repeats_latest_finalize(["A", "B"], UPLOADED, RUN, STARTED + timedelta(seconds=1))
    assert repeats_latest_finalize(["A"], UPLOADED, RUN, STARTED + FINALIZE_REPEAT_WINDOW)


def test_after_the_window_it_is_a_new_finalize() -> None:
    late = STARTED + FINALIZE_REPEAT_WINDOW + timedelta(seconds=1)
    assert not repeats_latest_finalize(["A", "B"], UPLOADED, RUN, late)


def test_a_new_or_pending_photo_or_an_unknown_id_is_not_a_repeat() -> None:
    now = STARTED + timedelta(seconds=1)
    added = [*UPLOADED, _image("C", ImageStatus.UPLOADED, added=timedelta(minutes=2))]
    pending = [*UPLOADED, _image("C", ImageStatus.PENDING_UPLOAD)]
    assert not repeats_latest_finalize(["C"], added, RUN, now)
    assert not repeats_latest_finalize(["C"], pending, RUN, now)
    assert not repeats_latest_finalize(["Z"], UPLOADED, RUN, now)
    assert not repeats_latest_finalize([], UPLOADED, RUN, now)
    assert not repeats_latest_finalize(["A"], UPLOADED, None, now)
