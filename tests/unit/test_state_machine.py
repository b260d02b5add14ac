"""The product state machine (spec 20 §4, decisions Q-P3..Q-P5).

A Hypothesis rule-based machine drives a product through every transition while keeping an
independent model of what the spec says must happen; plain table tests pin ``allowed()`` to
the whole §4.4 matrix.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from reseller_core.domain import state_machine as sm
from reseller_core.domain.products import Product, ProductStatus
from reseller_core.domain.state_machine import Action
from reseller_core.errors import InvalidProductState

S = ProductStatus
EPOCH = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SYSTEM_ONLY = frozenset({S.UPLOADING, S.PROCESSING})
MANUAL = (S.DRAFT, S.REVIEW, S.READY, S.SOLD, S.ARCHIVED)

# --- spec 20 §4.4 as a literal table ---------------------------------------------------------

COLUMNS = (S.DRAFT, S.UPLOADING, S.PROCESSING, S.REVIEW, S.READY, S.SOLD, S.ARCHIVED)
MATRIX: dict[Action, str] = {
    # draft uploading processing review ready sold archived
    Action.EDIT_FIELDS: "✓✓✓✓✓✓✓",
    Action.SET_STATUS: "✓✓✓✓✓✓✓",
    Action.MARK_SOLD: "✓✓✓✓✓✓✓",
    Action.ARCHIVE: "✓✓✓✓✓✓✓",
    Action.UNARCHIVE: "✓✓✓✓✓✓✓",
    Action.PREPARE_UPLOADS: "✓✗✗✓✓✗✗",
    Action.FINALIZE_UPLOADS: "✓✓✗✓✓✗✗",
    Action.REPROCESS: "✓✗✓✓✓✗✗",
    Action.DELETE_IMAGE: "✓✗✗✓✓✗✗",
    Action.GENERATE_LIFESTYLE: "✗✗✗✓✓✓✓",
    Action.GENERATE_VIDEO: "✗✗✗✓✓✓✓",
    # A6-A8: only a product still ``processing`` takes a run's outcome (Q-P3).
    Action.RUN_FINISHED: "✗✗✓✗✗✗✗",
}
CASES = [
    pytest.param(action, status, row[index] == "✓", id=f"{action.value}-{status.value}")
    for action, row in MATRIX.items()
    for index, status in enumerate(COLUMNS)
]


def expected_allowed(action: Action, status: ProductStatus) -> bool:
    return MATRIX[action][COLUMNS.index(status)] == "✓"


def test_matrix_covers_every_action_and_status() -> None:
    assert set(MATRIX) == set(Action)
    assert set(COLUMNS) == set(ProductStatus)
    assert all(len(row) == len(COLUMNS) for row in MATRIX.values())


@pytest.mark.parametrize(("action", "status", "ok"), CASES)
def test_allowed_matches_spec_matrix(action: Action, status: ProductStatus, ok: bool) -> None:
    assert sm.allowed(action, status) is ok


@pytest.mark.parametrize(("action", "status", "ok"), CASES)
def test_require_raises_exactly_when_not_allowed(
    action: Action, status: ProductStatus, ok: bool
) -> None:
    if ok:
        sm.require(action, status)
    else:
        with pytest.raises(InvalidProductState) as info:
            sm.require(action, status)
        assert info.value.code == "invalid_product_state"
        assert info.value.detail


# --- helpers -------------------------------------------------------------------------------


def make_product(status: ProductStatus = S.DRAFT, **fields: object) -> Product:
    return Product(
        id="01J0000000000000000000PROD",
        user_id="01J0000000000000000000USER",
        status=status,
        created_at=EPOCH,
        updated_at=EPOCH,
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("target", [S.UPLOADING, S.PROCESSING])
def test_set_status_rejects_system_only_targets(target: ProductStatus) -> None:
    with pytest.raises(ValueError, match="manual target"):
        sm.set_status(make_product(), target, EPOCH)


@pytest.mark.parametrize("target", [S.DRAFT, S.REVIEW, S.READY])
def test_m1_clears_sold_and_archived_timestamps(target: ProductStatus) -> None:
    product = make_product(S.ARCHIVED, sold_at=EPOCH, archived_at=EPOCH)
    later = EPOCH + timedelta(hours=1)
    result = sm.set_status(product, target, later)
    assert (result.status, result.sold_at, result.archived_at) == (target, None, None)
    assert result.updated_at == later


def test_archived_draft_unarchives_to_draft() -> None:
    """Q-P4 overrides spec 20 §4.3's quirk: the pre-archive status comes back."""
    later = EPOCH + timedelta(minutes=5)
    archived = sm.archive(make_product(S.DRAFT), later)
    assert archived.archived_at == later
    assert sm.unarchive(archived, later + timedelta(minutes=1)).status == S.DRAFT


@pytest.mark.parametrize("sold", [True, False])
def test_unarchive_without_recorded_status_falls_back(sold: bool) -> None:
    """A product archived before the pre-archive status was stored: sold if sold_at, else ready."""
    product = make_product(S.ARCHIVED, archived_at=EPOCH, sold_at=EPOCH if sold else None)
    result = sm.unarchive(product, EPOCH + timedelta(days=1))
    assert result.status == (S.SOLD if sold else S.READY)
    assert result.archived_at is None


@pytest.mark.parametrize("remaining", [0, 1, 3])
@pytest.mark.parametrize("status", list(ProductStatus))
def test_images_removed(status: ProductStatus, remaining: int) -> None:
    product = make_product(status)
    result = sm.images_removed(product, remaining, EPOCH + timedelta(seconds=1))
    if remaining == 0 and status in (S.DRAFT, S.REVIEW, S.READY):
        assert result.status == S.DRAFT
    else:
        assert result == product


# --- the rule-based machine ------------------------------------------------------------------


class ProductLifecycle(RuleBasedStateMachine):
    """Every rule applies one action to the real product and to the model, then compares."""

    def __init__(self) -> None:
        super().__init__()
        self.now = EPOCH
        self.product = make_product()
        self.status: ProductStatus = S.DRAFT
        self.sold_at: datetime | None = None
        self.archived_at: datetime | None = None
        self.before_archive: ProductStatus | None = None

    @initialize(status=st.sampled_from([S.DRAFT, S.UPLOADING]))
    def created(self, status: ProductStatus) -> None:
        """A1/A2: created as a draft, or uploading when the create carried uploads."""
        self.product = make_product(status)
        self.status = status

    def tick(self, seconds: int) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def expect_refusal(self, action: Action, call: object) -> None:
        before = self.product
        with pytest.raises(InvalidProductState):
            call()  # type: ignore[operator]
        assert not sm.allowed(action, self.status)
        assert self.product is before

    # automatic transitions

    @rule(pending=st.booleans(), seconds=st.integers(1, 3600))
    def finalize(self, pending: bool, seconds: int) -> None:
        now = self.tick(seconds)
        count = 1 if pending else 0
        if expected_allowed(Action.FINALIZE_UPLOADS, self.status):
            self.product = sm.after_finalize(self.product, count, now)
            self.status = S.UPLOADING if pending else S.PROCESSING
            assert self.product.updated_at == now
        else:
            self.expect_refusal(
                Action.FINALIZE_UPLOADS, lambda: sm.after_finalize(self.product, count, now)
            )

    @rule(seconds=st.integers(1, 3600))
    def reprocess(self, seconds: int) -> None:
        now = self.tick(seconds)
        if expected_allowed(Action.REPROCESS, self.status):
            self.product = sm.start_reprocess(self.product, now)
            self.status = S.PROCESSING
        else:
            self.expect_refusal(Action.REPROCESS, lambda: sm.start_reprocess(self.product, now))

    @rule(
        outcome=st.sampled_from(["ok", "needs_review", "failed"]),
        seconds=st.integers(1, 3600),
    )
    def run_finished(self, outcome: str, seconds: int) -> None:
        now = self.tick(seconds)
        before = self.product
        result = sm.finish_run(
            before,
            needs_review=outcome == "needs_review",
            failed=outcome == "failed",
            now=now,
        )
        if self.status == S.PROCESSING:
            self.status = S.READY if outcome == "ok" else S.REVIEW
            assert result.updated_at == now
        else:
            # Compare-and-set (Q-P3): a product the seller moved on is left exactly as it is.
            assert result == before
        self.product = result

    @rule(seconds=st.integers(1, 3600))
    def delete_images_leaving_no_original(self, seconds: int) -> None:
        now = self.tick(seconds)

        def delete() -> Product:
            sm.require(Action.DELETE_IMAGE, self.product.status)
            return sm.images_removed(self.product, 0, now)

        if expected_allowed(Action.DELETE_IMAGE, self.status):
            self.product = delete()
            self.status = S.DRAFT
        else:
            self.expect_refusal(Action.DELETE_IMAGE, delete)

    # manual transitions

    def model_mark_sold(self, now: datetime) -> None:
        self.status = S.SOLD
        self.sold_at = self.sold_at or now
        self.archived_at = None
        self.before_archive = None

    def model_archive(self, now: datetime) -> None:
        if self.status != S.ARCHIVED:
            self.before_archive = self.status
            self.archived_at = now
        self.status = S.ARCHIVED

    @rule(manual=st.sampled_from(MANUAL), seconds=st.integers(1, 3600))
    def patch_status(self, manual: ProductStatus, seconds: int) -> None:
        now = self.tick(seconds)
        assert sm.allowed(Action.SET_STATUS, self.status)
        self.product = sm.set_status(self.product, manual, now)
        if manual == S.SOLD:
            self.model_mark_sold(now)
        elif manual == S.ARCHIVED:
            self.model_archive(now)
        else:
            self.status, self.sold_at, self.archived_at = manual, None, None
            self.before_archive = None

    @rule(seconds=st.integers(1, 3600))
    def mark_sold(self, seconds: int) -> None:
        now = self.tick(seconds)
        previous_sold_at = self.product.sold_at
        assert sm.allowed(Action.MARK_SOLD, self.status)
        self.product = sm.mark_sold(self.product, now)
        self.model_mark_sold(now)
        if previous_sold_at is not None:
            assert self.product.sold_at == previous_sold_at  # Q-P5

    @rule(seconds=st.integers(1, 3600))
    def archive(self, seconds: int) -> None:
        now = self.tick(seconds)
        previous = self.product
        assert sm.allowed(Action.ARCHIVE, self.status)
        self.product = sm.archive(previous, now)
        self.model_archive(now)
        if previous.status == S.ARCHIVED:
            assert self.product.archived_at == previous.archived_at  # Q-P5
        assert self.product.sold_at == previous.sold_at  # M3: sold_at kept

    @precondition(lambda self: self.status == S.ARCHIVED)
    @rule(seconds=st.integers(1, 3600))
    def archive_twice(self, seconds: int) -> None:
        first = self.product.archived_at
        self.product = sm.archive(self.product, self.tick(seconds))
        assert self.product.archived_at == first
        assert self.product.status == S.ARCHIVED

    @rule(seconds=st.integers(1, 3600))
    def unarchive(self, seconds: int) -> None:
        now = self.tick(seconds)
        before = self.product
        assert sm.allowed(Action.UNARCHIVE, self.status)
        self.product = sm.unarchive(before, now)
        if self.status != S.ARCHIVED:
            assert self.product == before  # M7: no change at all
            return
        restored = self.before_archive
        assert restored is not None
        # Q-P4: the pre-archive status comes back; system-only ones cannot (their run is gone).
        self.status = S.REVIEW if restored in SYSTEM_ONLY else restored
        self.archived_at = None
        self.before_archive = None
        if self.status != S.SOLD:
            # A restored draft/review/ready is never sold: sold_at only survives into ``sold``.
            assert self.sold_at is None

    # invariants

    @invariant()
    def status_is_a_product_status(self) -> None:
        assert isinstance(self.product.status, ProductStatus)

    @invariant()
    def matches_the_model(self) -> None:
        assert self.product.status == self.status
        assert self.product.sold_at == self.sold_at
        assert self.product.archived_at == self.archived_at

    @invariant()
    def sold_has_sold_at(self) -> None:
        if self.product.status == S.SOLD:
            assert self.product.sold_at is not None

    @invariant()
    def archived_at_iff_archived(self) -> None:
        if self.product.status == S.ARCHIVED:
            assert self.product.archived_at is not None
        else:
            assert self.product.archived_at is None

    @invariant()
    def sold_at_only_on_sold_or_archived(self) -> None:
        if self.product.sold_at is not None:
            assert self.product.status in (S.SOLD, S.ARCHIVED)

    @invariant()
    def identity_never_changes(self) -> None:
        assert self.product.id == "01J0000000000000000000PROD"
        assert self.product.created_at == EPOCH


TestProductLifecycle = ProductLifecycle.TestCase
TestProductLifecycle.settings = settings(
    max_examples=100,
    stateful_step_count=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
