"""Entry-point factories: the composition root calls ``factory(settings, context)``.

``settings`` is the deployment's ``reseller_entrypoints.settings.Settings`` and ``context`` its
``reseller_entrypoints.plugins.BuildContext`` (clock, ids, data directory, shared resources). Settings
of the plugin's own come from its own ``RESELLER_EXAMPLE_*`` environment variables.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from reseller_example_plugin.ai_provider import ExampleAIProvider
from reseller_example_plugin.vinted import VintedMarketplace

if TYPE_CHECKING:
    from reseller_entrypoints.plugins import BuildContext
    from reseller_entrypoints.settings import Settings

CURRENCY_VARIABLE = "RESELLER_EXAMPLE_CURRENCY"


def example_ai_provider(settings: Settings, context: BuildContext) -> ExampleAIProvider:
    """``reseller.ai_providers: example``; prices in ``RESELLER_EXAMPLE_CURRENCY`` (EUR)."""
    del settings, context
    return ExampleAIProvider(currency=os.environ.get(CURRENCY_VARIABLE, "EUR"))


def vinted_marketplace(settings: Settings, context: BuildContext) -> VintedMarketplace:
    """``reseller.marketplaces: vinted``; used when ``vinted`` is a supported marketplace."""
    del settings, context
    return VintedMarketplace()
