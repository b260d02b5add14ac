"""Small text rules shared by the pipeline, the fakes and the offline adapters."""

from __future__ import annotations

from collections.abc import Iterable


def collapse_spaces(value: object) -> str | None:
    """``value`` with runs of whitespace collapsed to one space; None when blank or not text."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()) or None


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut where the limit falls (trailing spaces dropped).

    For text that must read well when shortened, use
    :func:`reseller_core.domain.listing_rules.shorten_at_word` instead.
    """
    return text if len(text) <= limit else text[:limit].rstrip()


def dedupe(values: Iterable[str], *, ignore_case: bool) -> tuple[str, ...]:
    """The values stripped, blanks dropped, each kept once in first-seen order.

    With ``ignore_case`` two values that differ only in case (``casefold``) are the same
    value and the first spelling is kept; without it they are different values.
    """
    seen: set[str] = set()
    kept: list[str] = []
    for value in values:
        text = value.strip()
        key = text.casefold() if ignore_case else text
        if text and key not in seen:
            seen.add(key)
            kept.append(text)
    return tuple(kept)
