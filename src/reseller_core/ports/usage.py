"""How an adapter reports what one provider call consumed, for cost estimation (spec 10 §5.5).

The pipeline meters every provider call (``reseller_core.services.metering.metered``); while
it awaits the call it collects the ``ProviderUsage`` the adapter reports here. An adapter
that reports nothing (the offline ones) costs nothing. A context variable carries the
collector, so the ports' method signatures stay about the work, not the bookkeeping.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol

from reseller_core.domain.costs import ProviderUsage

__all__ = ["MeteredProvider", "ProviderUsage", "charges_nothing", "collect_usage", "report_usage"]


class MeteredProvider(Protocol):
    """What metering reads from an adapter (AI provider, search provider, image editor).

    An adapter whose calls cost nothing and reach no paid service (the offline ones, a
    model served locally) sets the class attribute ``free = True``: its calls are then
    neither priced nor counted against the daily safety ceilings (spec 10 §5.4). Adapters
    without the attribute are paid ones.
    """

    name: str


def charges_nothing(provider: object) -> bool:
    """True when ``provider`` declares its calls free (``free = True``)."""
    return getattr(provider, "free", False) is True


_COLLECTOR: ContextVar[list[ProviderUsage] | None] = ContextVar(
    "reseller_provider_usage", default=None
)


def report_usage(usage: ProviderUsage) -> None:
    """Record ``usage`` for the call being metered (ignored when nobody meters it)."""
    collected = _COLLECTOR.get()
    if collected is not None:
        collected.append(usage)


@contextlib.contextmanager
def collect_usage() -> Iterator[list[ProviderUsage]]:
    """Collect every ``report_usage`` made while the block runs (in this task's context)."""
    collected: list[ProviderUsage] = []
    token = _COLLECTOR.set(collected)
    try:
        yield collected
    finally:
        _COLLECTOR.reset(token)
