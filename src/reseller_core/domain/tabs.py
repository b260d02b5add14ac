"""Product tab rules (spec 20 §1, decision Q-P9).

Names are trimmed, at most 80 characters, and unique per seller compared case-insensitively
(``casefold`` after trimming); a seller has at most 50 tabs. Positions are integers > 0 and
may repeat: the list is ordered by position, then creation order.
"""

from __future__ import annotations

from msgspec import UnsetType

from reseller_core.domain.products import ProductTab
from reseller_core.domain.validation import (
    CANT_BE_BLANK,
    IS_INVALID,
    TAKEN,
    Errors,
    greater_than,
    has_unstorable_characters,
    too_long,
)

TAB_NAME_MAX = 80
MAX_TABS_PER_USER = 50


def name_key(name: str) -> str:
    """What two names are compared by: trimmed and case-folded."""
    return name.strip().casefold()


def check_tab_name(errors: Errors, name: str | UnsetType | None) -> str | None:
    """The trimmed name, or None with the problem in ``errors`` (UNSET reads as blank)."""
    if not isinstance(name, str) or not name.strip():
        errors.add("name", CANT_BE_BLANK)
        return None
    trimmed = name.strip()
    if has_unstorable_characters(trimmed):
        errors.add("name", IS_INVALID)
        return None
    if len(trimmed) > TAB_NAME_MAX:
        errors.add("name", too_long(TAB_NAME_MAX))
        return None
    return trimmed


def check_position(errors: Errors, position: int) -> None:
    if position <= 0:
        errors.add("position", greater_than(0))


def check_unique(errors: Errors, name: str, tab_id: str | None, others: list[ProductTab]) -> None:
    """``has already been taken`` when another of the seller's tabs has this name."""
    key = name_key(name)
    if any(other.id != tab_id and name_key(other.name) == key for other in others):
        errors.add("name", TAKEN)


def next_position(tabs: list[ProductTab]) -> int:
    """Default position on create: (current maximum) + 1, starting at 1."""
    return max((tab.position for tab in tabs), default=0) + 1
