"""Example ResellerIO plugin: a rule-based AI provider and a Vinted marketplace adapter.

Both are registered as entry points (see ``pyproject.toml``) and built by the factories in
:mod:`reseller_example_plugin.factories`.
"""

from reseller_example_plugin.ai_provider import ExampleAIProvider
from reseller_example_plugin.vinted import VINTED, VintedMarketplace

__all__ = ["VINTED", "ExampleAIProvider", "VintedMarketplace"]
